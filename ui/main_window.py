"""The main window: navigation on the left, the pages on the right (register pages are built
when first opened)."""

from __future__ import annotations

import importlib
from pathlib import Path
from typing import Any

from PySide6.QtCore import QSettings, QTimer, Signal, Slot
from PySide6.QtGui import QAction, QCloseEvent, QKeySequence
from PySide6.QtWidgets import (
    QFrame,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QMainWindow,
    QMessageBox,
    QScrollArea,
    QStackedWidget,
    QWidget,
)

from core.paths import DataLayout
from core.registers import Center
from ui.checklist_view import ChecklistView
from ui.messages import describe_error
from ui.profile_form import ProfileDialog
from ui.register_page import RegisterPage
from ui.summary_view import SummaryView
from ui.tasks import TaskRunner

(
    PAGE_SUMMARY,
    PAGE_CHECKLIST,
    PAGE_EQUIPMENT,
    PAGE_ROOMS,
    PAGE_BRAND,
    PAGE_ROADMAP,
    PAGE_INDICATORS,
    PAGE_PRINT,
    PAGE_PACKAGES,
) = range(9)


class MainWindow(QMainWindow):
    reopen_requested = Signal(object)  # Path: the data folder to open again (after a restore)

    def __init__(
        self, center: Center, runner: TaskRunner, layout: DataLayout, parent: Any = None
    ) -> None:
        super().__init__(parent)
        checklist = center.checklist
        self._checklist = checklist
        self._registers = center.registers
        self._runner = runner
        self._layout = layout
        self.setWindowTitle(self.tr("Точка роста — готовность центра"))

        self.summary = SummaryView(checklist, center.registers)
        self.checklist_view = ChecklistView(checklist, runner, layout.thumbnails)
        self.pages = QStackedWidget()
        self.pages.addWidget(self.summary)
        self.pages.addWidget(self.checklist_view)
        # register pages are built when first opened: a lighter start on old PCs
        self._page_factories: dict[int, tuple[str, str]] = {
            PAGE_EQUIPMENT: ("ui.equipment_view", "EquipmentView"),
            PAGE_ROOMS: ("ui.rooms_view", "RoomsView"),
            PAGE_BRAND: ("ui.brand_view", "BrandView"),
            PAGE_ROADMAP: ("ui.roadmap_view", "RoadmapView"),
            PAGE_INDICATORS: ("ui.indicators_view", "IndicatorsView"),
        }
        self._register_pages: dict[int, RegisterPage] = {}
        self._center = center
        self.log_dir: Path | None = None  # set by run_gui: shown in «О программе»
        self.print_view: Any = None
        self.package_view: Any = None
        for _ in range(len(self._page_factories) + 2):  # + «Печать и экспорт», «Отчёт в регион»
            self.pages.addWidget(QWidget())
        self.nav = QListWidget()
        self.nav.addItems(
            [
                self.tr("Сводка"),
                self.tr("Чек-лист"),
                self.tr("Оборудование"),
                self.tr("Помещения"),
                self.tr("Фирменный стиль"),
                self.tr("Дорожная карта"),
                self.tr("Показатели"),
                self.tr("Печать и экспорт"),
                self.tr("Отчёт в регион"),
            ]
        )
        self.nav.setFixedWidth(150)
        self.nav.currentRowChanged.connect(self.show_page)
        self.nav.setCurrentRow(PAGE_SUMMARY)
        central = QWidget()
        row = QHBoxLayout(central)
        row.addWidget(self.nav)
        # on a small screen (1024×768, 1280×720) a page wider than the window scrolls instead
        # of pushing the window off the screen
        scroll = QScrollArea()
        scroll.setWidget(self.pages)
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QFrame.Shape.NoFrame)
        row.addWidget(scroll, 1)
        self.setCentralWidget(central)

        self.saved_label = QLabel()
        self.statusBar().addPermanentWidget(self.saved_label)
        self.statusBar().showMessage(self.tr("Папка данных: %1").replace("%1", str(layout.root)))
        self._build_menu()

        self.summary.item_activated.connect(self.show_item)
        self.checklist_view.item_saved.connect(self._on_item_saved)
        self.checklist_view.failed.connect(self.show_error)
        runner.task_failed_unhandled.connect(self.show_error)
        self._restore_geometry()
        QTimer.singleShot(3000, self._send_queued_at_start)

    @Slot(int)
    def show_page(self, number: int) -> None:
        if number in self._page_factories:
            self.page(number)
        elif number == PAGE_PRINT and self.print_view is None:
            from ui.print_view import PrintView

            self.print_view = PrintView(self._center, self._runner, self._layout)
            self.print_view.failed.connect(self.show_error)
            self._replace_placeholder(number, self.print_view)
        elif number == PAGE_PACKAGES and self.package_view is None:
            self._build_package_page()
        self.pages.setCurrentIndex(number)

    def _build_package_page(self) -> None:
        from ui.package_view import PackageView  # minisign, keyring: only when needed

        self.package_view = PackageView(self._center, self._runner, self._layout)
        self.package_view.failed.connect(self.show_error)
        self._replace_placeholder(PAGE_PACKAGES, self.package_view)

    @Slot()
    def _send_queued_at_start(self) -> None:
        """Packages queued «когда появится сеть» in an earlier session: the page (and its
        timer that sends them) is built without being shown."""
        store = self._center.outbox_store
        if store is None or self.package_view is not None:
            return

        def queued() -> bool:
            return any(p.send_queued and p.sent_at is None for p in store.packages())

        def start(found: object) -> None:
            if found and self.package_view is None:
                self._build_package_page()

        self._runner.run(queued, on_success=start, on_failure=lambda _exc: None)

    def _replace_placeholder(self, number: int, page: QWidget) -> None:
        placeholder = self.pages.widget(number)
        self.pages.removeWidget(placeholder)
        placeholder.deleteLater()
        self.pages.insertWidget(number, page)

    def page(self, number: int) -> RegisterPage:
        """The register page, built on first use."""
        page = self._register_pages.get(number)
        if page is None:
            module, name = self._page_factories[number]
            factory: type[RegisterPage] = getattr(importlib.import_module(module), name)
            page = factory(self._registers, self._runner, self._layout.thumbnails)
            page.changed.connect(self._on_register_changed)
            page.failed.connect(self.show_error)
            self._replace_placeholder(number, page)
            self._register_pages[number] = page
        return page

    @Slot()
    def _on_register_changed(self) -> None:
        self.summary.refresh()
        for page in self._register_pages.values():
            if page is not self.sender():
                page.mark_stale()
        self.saved_label.setText(self.tr("Все изменения сохранены"))

    def _build_menu(self) -> None:
        file_menu = self.menuBar().addMenu(self.tr("&Файл"))
        profile = QAction(self.tr("&Профиль центра…"), self)
        profile.triggered.connect(self.edit_profile)
        file_menu.addAction(profile)
        backup = QAction(self.tr("&Резервная копия…"), self)
        backup.setShortcut(QKeySequence("Ctrl+Shift+B"))
        backup.triggered.connect(self.show_backup)
        file_menu.addAction(backup)
        folder = QAction(self.tr("Папка &данных…"), self)
        folder.triggered.connect(self.choose_data_folder)
        file_menu.addAction(folder)
        file_menu.addSeparator()
        quit_action = QAction(self.tr("В&ыход"), self)
        quit_action.setShortcut(QKeySequence.StandardKey.Quit)
        quit_action.triggered.connect(self.close)
        file_menu.addAction(quit_action)
        view_menu = self.menuBar().addMenu(self.tr("&Вид"))
        for page, text, key in (
            (PAGE_SUMMARY, self.tr("&Сводка"), "Ctrl+1"),
            (PAGE_CHECKLIST, self.tr("&Чек-лист"), "Ctrl+2"),
            (PAGE_EQUIPMENT, self.tr("&Оборудование"), "Ctrl+3"),
            (PAGE_ROOMS, self.tr("&Помещения"), "Ctrl+4"),
            (PAGE_BRAND, self.tr("&Фирменный стиль"), "Ctrl+5"),
            (PAGE_ROADMAP, self.tr("&Дорожная карта"), "Ctrl+6"),
            (PAGE_INDICATORS, self.tr("Показа&тели"), "Ctrl+7"),
            (PAGE_PRINT, self.tr("П&ечать и экспорт"), "Ctrl+8"),
            (PAGE_PACKAGES, self.tr("Отчёт в &регион"), "Ctrl+9"),
        ):
            action = QAction(text, self)
            action.setShortcut(QKeySequence(key))
            action.triggered.connect(lambda _=False, p=page: self.nav.setCurrentRow(p))
            view_menu.addAction(action)
        help_menu = self.menuBar().addMenu(self.tr("&Справка"))
        about = QAction(self.tr("&О программе"), self)
        about.triggered.connect(self.show_about)
        help_menu.addAction(about)

    @Slot(str)
    def show_item(self, code: str) -> None:
        self.nav.setCurrentRow(PAGE_CHECKLIST)
        self.checklist_view.select_item(code)

    @Slot(str)
    def _on_item_saved(self, _code: str) -> None:
        self.summary.refresh()
        self.saved_label.setText(self.tr("Все изменения сохранены"))

    @Slot(object)
    def show_error(self, exc: BaseException) -> None:
        QMessageBox.warning(self, self.tr("Не удалось выполнить действие"), describe_error(exc))

    @Slot()
    def edit_profile(self) -> None:
        dialog = ProfileDialog(self._checklist.profile(), self)
        if dialog.exec() != ProfileDialog.DialogCode.Accepted:
            return
        self._runner.write(
            self._checklist.save_profile,
            dialog.form.profile(),
            on_success=lambda _p: self._profile_saved(),
            on_failure=self.show_error,
        )

    def _profile_saved(self) -> None:
        self.summary.refresh()
        self.checklist_view.reload()
        for page in self._register_pages.values():
            page.mark_stale()
        self.saved_label.setText(self.tr("Профиль сохранён"))

    @Slot()
    def show_about(self) -> None:
        from ui.about import AboutDialog

        AboutDialog(self._layout.root, self.log_dir, self).exec()

    @Slot()
    def show_backup(self) -> None:
        """«Резервная копия»: save one, or restore one — then the data folder is opened anew
        (run_gui builds a new window on reopen_requested)."""
        from core.backup import Backups
        from ui.backup_dialog import BackupDialog

        dialog = BackupDialog(
            Backups(self._layout, self._center.backup_database),
            close_data=self._close_data,
            parent=self,
        )
        reopen: list[object] = []
        dialog.restored.connect(reopen.append)
        dialog.restore_failed.connect(reopen.append)
        dialog.exec()
        if reopen:
            self.reopen_requested.emit(reopen[0])

    @Slot()
    def choose_data_folder(self) -> None:
        """Another data folder (e.g. on a second disk): remembered for the next starts and
        opened now in a new window; this one keeps its data untouched."""
        from PySide6.QtWidgets import QFileDialog

        from ui.app import DATA_FOLDER_KEY

        chosen = QFileDialog.getExistingDirectory(
            self,
            self.tr("Папка данных (сейчас: %1)").replace("%1", str(self._layout.root)),
            str(self._layout.root.parent),
        )
        if not chosen or Path(chosen) == self._layout.root:
            return
        QSettings().setValue(DATA_FOLDER_KEY, chosen)
        self.reopen_requested.emit(Path(chosen))

    def _close_data(self) -> None:
        """Before a restore replaces the data: every edit saved, every task done, the
        database closed."""
        self.checklist_view.flush()
        self._runner.cancel_all()
        self._runner.wait_for_all()
        close = getattr(self._checklist.store, "close", None)
        if callable(close):
            close()

    def _restore_geometry(self) -> None:
        geometry = QSettings().value("main_window/geometry")
        if geometry is not None:
            self.restoreGeometry(geometry)  # type: ignore[arg-type]
        else:
            self.resize(1280, 800)

    def closeEvent(self, event: QCloseEvent) -> None:
        # an edit in progress is saved, and every queued write finishes, before we go
        self.checklist_view.flush()
        self._runner.cancel_all()  # a long attach stops between two files, nothing half-done
        self._runner.wait_for_writes()
        QSettings().setValue("main_window/geometry", self.saveGeometry())
        event.accept()
