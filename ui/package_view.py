"""«Отчёт в регион»: make the signed report package for a quarter or a date, keep it in the
outbox, write it to a flash drive, mail it to the regional operator now or when the network
comes back, load the operator's receipt; the school's signing key and its card for the region.

Everything long runs in a worker (core does the work and reports progress); this page only asks,
shows and hands the answers on. The timer that sends queued packages never opens a dialog: what
happened is said in the page's status line."""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from PySide6.QtCore import (
    QItemSelectionModel,
    QModelIndex,
    QSortFilterProxyModel,
    Qt,
    QTimer,
    QUrl,
    Signal,
    Slot,
)
from PySide6.QtGui import (
    QDesktopServices,
    QFontDatabase,
    QKeyEvent,
    QKeySequence,
    QShortcut,
    QShowEvent,
)
from PySide6.QtWidgets import (
    QAbstractItemView,
    QApplication,
    QButtonGroup,
    QComboBox,
    QDateEdit,
    QDialog,
    QFileDialog,
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QMessageBox,
    QPushButton,
    QRadioButton,
    QSpinBox,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from core.credentials import forget_password, keyring_available, load_password, save_password
from core.documents import default_quarter
from core.errors import CancelledError, DocumentError, KeyFileError, MailError, TochkaError
from core.keys import (
    KeyRecord,
    export_public_key,
    key_fingerprint,
    key_history,
    rotate_key,
)
from core.mail import SmtpSettings, next_attempt_delay, should_retry
from core.model import OutboxPackage
from core.outbox import Outbox, SizeEstimate
from core.paths import DataLayout
from core.receipts import load_trusted_keys
from core.registers import Center
from core.settings import Settings
from core.wording import format_date, format_datetime, format_size, plural
from ui.messages import describe_error
from ui.package_model import PackageRole, PackageTableModel, SortRole, copy_text
from ui.package_settings import (
    MEGABYTE,
    MailPasswordDialog,
    NewPassphraseDialog,
    PackageSettingsDialog,
    SendingSettings,
    passphrase_dialog,
)
from ui.profile_form import DATE_FORMAT, from_qdate, to_qdate
from ui.progress import progress_dialog
from ui.tasks import Task, TaskRunner

QUEUE_INTERVAL_MS = 60_000
HINT_STYLE = "color: #5f6368;"
PASSPHRASE_PROBLEMS = ("passphrase_needed", "wrong_passphrase")


# --- the work, off the GUI thread (plain Python: never a widget) ---------------------------------


@dataclass(frozen=True)
class PageFacts:
    estimate: SizeEstimate
    keys: list[KeyRecord]


def load_facts(outbox: Outbox, layout: DataLayout, max_size: int) -> PageFacts:
    return PageFacts(outbox.estimate(max_size), key_history(layout))


def write_package(
    outbox: Outbox, package_id: str, folder: Path, *, progress: Any, cancelled: Any
) -> tuple[OutboxPackage, list[Path]]:
    written = outbox.write_to(outbox.get(package_id), folder, progress=progress)
    return outbox.get(package_id), written


def send_package(
    outbox: Outbox,
    package_id: str,
    smtp: SmtpSettings,
    password: str | None,
    remember: bool,
    *,
    progress: Any,
    cancelled: Any,
) -> OutboxPackage:
    # the record, not the row shown: parts mailed meanwhile must not be mailed twice
    sent = outbox.send(
        outbox.get(package_id), smtp, password, progress=progress, cancelled=cancelled
    )
    if remember and password:
        save_password(smtp.credential_key, password)
    return sent


@dataclass(frozen=True)
class QueueOutcome:
    package: OutboxPackage
    error: BaseException | None = None
    retrying: bool = False  # stays in the queue, tried again later


def send_queued(
    outbox: Outbox,
    smtp: SmtpSettings,
    fallback_password: str | None,
    skip: frozenset[str],
    *,
    progress: Any = None,
    cancelled: Callable[[], bool],
) -> list[QueueOutcome]:
    """Try every queued package that is due, oldest first. A transient failure (no network)
    puts it and the rest off with back-off; a permanent one takes it out of the queue."""
    due = [p for p in reversed(outbox.due_for_sending()) if p.package_id not in skip]
    if not due:
        return []
    password = None
    if smtp.login:
        password = load_password(smtp.credential_key) or fallback_password
        if password is None:
            return [QueueOutcome(p, MailError("no_password", smtp.login), True) for p in due]
    outcomes: list[QueueOutcome] = []
    for number, package in enumerate(due):
        if cancelled():
            break
        try:
            sent = outbox.send(package, smtp, password, cancelled=cancelled)
        except CancelledError:
            break
        except MailError as exc:
            latest = outbox.get(package.package_id)
            if not should_retry(exc):
                outcomes.append(QueueOutcome(outbox.queue_send(latest, False), exc))
                continue
            delay = next_attempt_delay(max(latest.send_attempts, 1), jitter=0.1)
            outcomes.append(QueueOutcome(outbox.schedule_retry(latest, delay), exc, True))
            for later in due[number + 1 :]:  # the network is down for them too
                outbox.schedule_retry(outbox.get(later.package_id), delay)
            break
        except TochkaError as exc:  # the settings or the files: a person must act first
            latest = outbox.queue_send(outbox.get(package.package_id), False)
            outcomes.append(QueueOutcome(latest, exc))
        else:
            outcomes.append(QueueOutcome(sent))
    return outcomes


def save_key_card(
    center: Center, layout: DataLayout, out: Path, passphrase: str | None, **_: Any
) -> str:
    """The key card PDF of the current key; returns its fingerprint."""
    from core.key_card import write_school_key_card  # reportlab: only when a card is made

    profile = center.checklist.profile()
    if profile is None:
        raise DocumentError("no_profile")
    _key_id, fingerprint = write_school_key_card(profile, layout, out, passphrase=passphrase)
    return fingerprint


def save_public_key(layout: DataLayout, out: Path, passphrase: str | None, **_: Any) -> str:
    return export_public_key(layout, out, passphrase)


def replace_key(layout: DataLayout, passphrase: str | None, **_: Any) -> str:
    return rotate_key(layout, passphrase).key_id  # the unlocked secret stays in the worker


def queue_package(
    outbox: Outbox, package_id: str, smtp: SmtpSettings, password: str | None, remember: bool
) -> OutboxPackage:
    if remember and password:
        save_password(smtp.credential_key, password)
    return outbox.queue_send(outbox.get(package_id), True)


def unqueue_package(outbox: Outbox, package_id: str) -> OutboxPackage:
    return outbox.queue_send(outbox.get(package_id), False)


def import_receipt_file(outbox: Outbox, path: Path, operator_keys: list[str]) -> OutboxPackage:
    return outbox.import_receipt(path, load_trusted_keys(operator_keys))


def save_sending_settings(settings: Settings, chosen: SendingSettings) -> None:
    settings.set_max_size(chosen.max_size)
    if chosen.smtp is not None:
        settings.set_smtp(chosen.smtp.to_dict())
        if chosen.remember and chosen.password:
            save_password(chosen.smtp.credential_key, chosen.password)
        elif chosen.forget:
            forget_password(chosen.smtp.credential_key)
    settings.set_operator_keys(list(chosen.operator_keys))


def keyring_state(settings: Settings) -> tuple[bool, bool]:
    """(a keyring is usable, it holds the mail password): slow on some systems."""
    if not keyring_available():
        return False, False
    stored = settings.smtp()
    if not stored:
        return True, False
    try:
        key = SmtpSettings.from_dict(stored).credential_key
    except TochkaError:
        return True, False
    return True, load_password(key) is not None


# --- the page --------------------------------------------------------------------------------


class PackageTable(QTableView):
    """The outbox table; Ctrl+C copies the selected packages with their full hashes (the
    item view would copy only the current cell)."""

    copy_requested = Signal()

    def keyPressEvent(self, event: QKeyEvent) -> None:
        if event.matches(QKeySequence.StandardKey.Copy):
            self.copy_requested.emit()
            event.accept()
            return
        super().keyPressEvent(event)


class PackageView(QWidget):
    failed = Signal(object)
    package_made = Signal(str)  # package id

    def __init__(
        self, center: Center, runner: TaskRunner, layout: DataLayout, parent: Any = None
    ) -> None:
        super().__init__(parent)
        assert center.outbox_store is not None
        self._center = center
        self._runner = runner
        self._layout = layout
        self.outbox = Outbox(center, center.outbox_store, layout)
        self.outbox.recover()  # what a program killed while making a package left behind
        self.settings = Settings(center.checklist.store)
        self._progress: Any = None
        self._busy = False  # a make, write, send or key task of the user
        self._queue_task: Task | None = None  # the timer's sending
        self._locked_ids: set[str] = set()  # packages a task is writing or sending
        self._keys: list[KeyRecord] = []
        self._keyring: bool | None = None  # not known until asked off the GUI thread
        self._password_stored = False
        self._queue_password: str | None = None  # typed for the queue, never written anywhere

        self._build_new_package()
        self._build_key_box()
        self._build_outbox()
        top = QHBoxLayout()
        top.addWidget(self.new_box, 3)
        top.addWidget(self.key_box, 2)
        page = QVBoxLayout(self)
        page.addLayout(top)
        page.addWidget(self.outbox_box, 1)

        self.timer = QTimer(self)
        self.timer.setInterval(QUEUE_INTERVAL_MS)
        self.timer.timeout.connect(self.send_due)
        self.timer.start()
        self.refresh_packages()
        self._runner.run(
            keyring_state, self.settings, on_success=self._keyring_known, on_failure=self._ignore
        )
        QTimer.singleShot(0, self.send_due)
        self._update_actions()
        chain = [
            self.quarter_radio,
            self.year,
            self.quarter,
            self.date_radio,
            self.as_of,
            self.settings_button,
            self.make_button,
            self.card_button,
            self.pubkey_button,
            self.rotate_button,
            self.table,
            self.write_button,
            self.send_button,
            self.queue_button,
            self.receipt_button,
        ]
        for first, second in zip(chain, chain[1:], strict=False):
            QWidget.setTabOrder(first, second)

    # --- building ----------------------------------------------------------------------------
    def _build_new_package(self) -> None:
        self.new_box = QGroupBox(self.tr("Новый пакет"))
        self.quarter_radio = QRadioButton(self.tr("Ква&ртал:"))
        self.date_radio = QRadioButton(self.tr("Готовность на &дату:"))
        self.period_kind = QButtonGroup(self)
        self.period_kind.addButton(self.quarter_radio)
        self.period_kind.addButton(self.date_radio)
        self.quarter_radio.setChecked(True)
        self.year = QSpinBox()
        self.year.setRange(2018, 2100)
        self.quarter = QComboBox()
        for number in (1, 2, 3, 4):
            self.quarter.addItem(self.tr("%1 квартал").replace("%1", str(number)), number)
        year, quarter = default_quarter(self._center)
        self.year.setValue(year)
        self.quarter.setCurrentIndex(quarter - 1)
        self.as_of = QDateEdit()
        self.as_of.setDisplayFormat(DATE_FORMAT)
        self.as_of.setCalendarPopup(True)
        today = dt.date.today()
        self.as_of.setMaximumDate(to_qdate(today))  # readiness on a day to come is not known
        self.as_of.setDate(to_qdate(today))
        self.limit_label = QLabel()
        self.settings_button = QPushButton(self.tr("&Настройки отправки…"))
        self.estimate_label = QLabel(self.tr("Оценка размера считается…"))
        self.estimate_label.setWordWrap(True)
        self.estimate_label.setStyleSheet(HINT_STYLE)
        self.make_button = QPushButton(self.tr("Сформировать &пакет"))
        self.make_button.setToolTip(
            self.tr(
                "Отчёт, реестры и подтверждения за выбранный период в подписанный пакет "
                "(Ctrl+Shift+N)"
            )
        )

        grid = QGridLayout()
        grid.addWidget(self.quarter_radio, 0, 0)
        grid.addWidget(self.year, 0, 1)
        grid.addWidget(self.quarter, 0, 2)
        grid.addWidget(self.date_radio, 1, 0)
        grid.addWidget(self.as_of, 1, 1, 1, 2)
        grid.setColumnStretch(3, 1)
        limit_row = QHBoxLayout()
        limit_row.addWidget(self.limit_label)
        limit_row.addStretch(1)
        limit_row.addWidget(self.settings_button)
        make_row = QHBoxLayout()
        make_row.addWidget(self.make_button)
        make_row.addStretch(1)
        box = QVBoxLayout(self.new_box)
        box.addLayout(grid)
        box.addLayout(limit_row)
        box.addWidget(self.estimate_label)
        box.addStretch(1)
        box.addLayout(make_row)

        self.period_kind.buttonToggled.connect(self._on_period_kind)
        self.settings_button.clicked.connect(self.open_settings)
        self.make_button.clicked.connect(self.make_package)
        self._on_period_kind()

    def _build_key_box(self) -> None:
        self.key_box = QGroupBox(self.tr("Ключ подписи"))
        self.key_label = QLabel()
        self.key_label.setWordWrap(True)
        self.fingerprint_label = QLabel()
        self.fingerprint_label.setFont(QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont))
        self.key_history_label = QLabel()
        self.key_history_label.setWordWrap(True)
        self.key_history_label.setStyleSheet(HINT_STYLE)
        selectable = (
            Qt.TextInteractionFlag.TextSelectableByMouse
            | Qt.TextInteractionFlag.TextSelectableByKeyboard
        )
        for label in (self.key_label, self.fingerprint_label):
            label.setTextInteractionFlags(selectable)
        self.card_button = QPushButton(self.tr("&Карточка ключа (PDF)…"))
        self.card_button.setToolTip(
            self.tr("Карточку подписывает директор, заверяет печатью и отправляет в регион")
        )
        self.pubkey_button = QPushButton(self.tr("Сохранить открытый к&люч…"))
        self.rotate_button = QPushButton(self.tr("Сменить кл&юч…"))
        buttons = QGridLayout()
        buttons.addWidget(self.card_button, 0, 0)
        buttons.addWidget(self.pubkey_button, 0, 1)
        buttons.addWidget(self.rotate_button, 1, 0)
        box = QVBoxLayout(self.key_box)
        box.addWidget(self.key_label)
        box.addWidget(self.fingerprint_label)
        box.addWidget(self.key_history_label)
        box.addStretch(1)
        box.addLayout(buttons)
        self.card_button.clicked.connect(self.save_key_card)
        self.pubkey_button.clicked.connect(self.save_public_key)
        self.rotate_button.clicked.connect(self.rotate_key)

    def _build_outbox(self) -> None:
        self.outbox_box = QGroupBox(self.tr("Исходящие пакеты"))
        self.model = PackageTableModel(self)
        self.proxy = QSortFilterProxyModel(self)
        self.proxy.setSourceModel(self.model)
        self.proxy.setSortRole(SortRole)
        self.table = PackageTable()
        self.table.setModel(self.proxy)
        self.table.setSortingEnabled(True)
        self.table.sortByColumn(-1, Qt.SortOrder.AscendingOrder)  # as stored: newest first
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setTabKeyNavigation(False)
        self.table.setAlternatingRowColors(True)
        self.table.setWordWrap(False)
        self.table.verticalHeader().hide()
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        header.setStretchLastSection(True)
        for column, width in enumerate((130, 40, 125, 75, 60, 125)):
            header.resizeSection(column, width)
        table_label = QLabel(self.tr("&Пакеты (новые сверху; Enter — открыть папку пакета):"))
        table_label.setBuddy(self.table)
        self.empty_label = QLabel(
            self.tr("Пакетов пока нет: выберите период и нажмите «Сформировать пакет».")
        )
        self.empty_label.setStyleSheet(HINT_STYLE)

        self.write_button = QPushButton(self.tr("&Записать на флешку или в папку…"))
        self.send_button = QPushButton(self.tr("&Отправить по почте"))
        self.queue_button = QPushButton(self.tr("Отправить, когда появится се&ть"))
        self.receipt_button = QPushButton(self.tr("Загрузить квит&анцию…"))
        for button, key in (
            (self.make_button, "Ctrl+Shift+N"),
            (self.write_button, "Ctrl+Shift+S"),
            (self.send_button, "Ctrl+Shift+M"),
            (self.queue_button, "Ctrl+Shift+Q"),
            (self.receipt_button, "Ctrl+Shift+R"),
        ):
            shortcut = QShortcut(QKeySequence(key), self)
            # the page's own keys: other pages keep theirs
            shortcut.setContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
            shortcut.activated.connect(button.animateClick)
            if not button.toolTip():
                button.setToolTip(key)
        actions = QHBoxLayout()
        for button in (self.write_button, self.send_button, self.queue_button):
            actions.addWidget(button)
        actions.addStretch(1)
        actions.addWidget(self.receipt_button)

        self.details = QLabel()
        self.details.setWordWrap(True)
        self.details.setTextInteractionFlags(
            Qt.TextInteractionFlag.TextSelectableByMouse
            | Qt.TextInteractionFlag.TextSelectableByKeyboard
        )
        self.result = QLabel()
        self.result.setWordWrap(True)
        self.result.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)

        box = QVBoxLayout(self.outbox_box)
        box.addWidget(table_label)
        box.addWidget(self.table, 1)
        box.addWidget(self.empty_label)
        box.addLayout(actions)
        box.addWidget(self.details)
        box.addWidget(self.result)

        self.table.copy_requested.connect(self.copy_selection)
        self.table.activated.connect(self.open_package_folder)
        self.table.selectionModel().selectionChanged.connect(self._on_selection)
        self.write_button.clicked.connect(self.write_selected)
        self.send_button.clicked.connect(self.send_selected)
        self.queue_button.clicked.connect(self.queue_selected)
        self.receipt_button.clicked.connect(self.import_receipt)

    # --- showing -----------------------------------------------------------------------------
    def showEvent(self, event: QShowEvent) -> None:
        self.refresh()
        super().showEvent(event)

    def refresh(self) -> None:
        """The table now; the size estimate and the key off the GUI thread."""
        self.refresh_packages()
        max_size = self.settings.max_size()
        self.limit_label.setText(
            self.tr("Предел: до %1 МБ в файле").replace("%1", megabytes(max_size))
        )
        self._runner.run(
            load_facts,
            self.outbox,
            self._layout,
            max_size,
            on_success=self._facts_loaded,
            on_failure=self._facts_failed,
        )

    def refresh_packages(self) -> None:
        selected = [p.package_id for p in self.selected_packages()]
        self.model.set_packages(self.outbox.packages())
        self.empty_label.setVisible(self.model.rowCount() == 0)
        for package_id in selected:
            self.select_package(package_id, add=True)
        self._on_selection()

    def _facts_loaded(self, facts: PageFacts) -> None:
        self.estimate_label.setText(self.estimate_text(facts.estimate))
        self._keys = facts.keys
        self._show_key()

    def _facts_failed(self, exc: BaseException) -> None:
        self.estimate_label.setText(describe_error(exc))

    def estimate_text(self, estimate: SizeEstimate) -> str:
        text = self.tr("Примерно %1").replace("%1", format_size(estimate.total))
        parts = []
        if estimate.photo_count:
            parts.append(
                self.tr("%1 фото (%2)")
                .replace("%1", str(estimate.photo_count))
                .replace("%2", format_size(estimate.photos))
            )
        if estimate.document_count:
            count = estimate.document_count
            word = plural(count, self.tr("документ"), self.tr("документа"), self.tr("документов"))
            parts.append(
                self.tr("%1 %2 (%3)")
                .replace("%1", str(count))
                .replace("%2", word)
                .replace("%3", format_size(estimate.documents))
            )
        if parts:
            text += ": " + ", ".join(parts) + "."
        else:
            text += self.tr(": фото и документов к пунктам нет.")
        if estimate.heaviest:
            heaviest = ", ".join(
                f"{label} — {format_size(size)}" for label, size in estimate.heaviest[:3]
            )
            text += " " + self.tr("Больше всего весят: %1.").replace("%1", heaviest)
        if estimate.needs_shrinking:
            text += " " + self.tr(
                "Это больше предела: фотографии будут уменьшены, при необходимости пакет "
                "разделится на части."
            )
        return text

    def _show_key(self) -> None:
        current = next((r for r in self._keys if r.current), None)
        retired = [r for r in self._keys if not r.current]
        if current is None:
            self.key_label.setText(
                self.tr("Ключа ещё нет: он будет создан при первом пакете или карточке ключа.")
            )
            self.fingerprint_label.clear()
        else:
            created = (
                self.tr(", создан %1").replace("%1", format_date(current.created))
                if current.created
                else ""
            )
            self.key_label.setText(
                self.tr("Ключ %1%2. Отпечаток (сверяется с регионом по телефону):")
                .replace("%1", current.key_id)
                .replace("%2", created)
            )
            groups = key_fingerprint(current.public).split()
            half = len(groups) // 2
            self.fingerprint_label.setText(" ".join(groups[:half]) + "\n" + " ".join(groups[half:]))
        if retired:
            last = retired[0]
            when = format_date(last.retired) if last.retired else ""
            self.key_history_label.setText(
                self.tr(
                    "Прежних ключей: %1 (последний — %2, заменён %3); пакеты, подписанные "
                    "ими, по-прежнему проверяются."
                )
                .replace("%1", str(len(retired)))
                .replace("%2", last.key_id)
                .replace("%3", when)
            )
        else:
            self.key_history_label.clear()
        self.key_history_label.setVisible(bool(retired))

    def period(self) -> str:
        """What the widgets ask for: «2027-Q2» or «2027-08-25»."""
        if self.date_radio.isChecked():
            return from_qdate(self.as_of.date()).isoformat()
        return f"{self.year.value()}-Q{self.quarter.currentData()}"

    @Slot()
    def _on_period_kind(self) -> None:
        by_quarter = self.quarter_radio.isChecked()
        self.year.setEnabled(by_quarter)
        self.quarter.setEnabled(by_quarter)
        self.as_of.setEnabled(not by_quarter)

    # --- selection -----------------------------------------------------------------------------
    def selected_packages(self) -> list[OutboxPackage]:
        selection = self.table.selectionModel()
        rows = sorted({index.row() for index in selection.selectedRows()})
        return [self.proxy.index(row, 0).data(PackageRole) for row in rows]

    def current_package(self) -> OutboxPackage | None:
        """The one package actions apply to: the current row when it is selected."""
        selected = self.selected_packages()
        if not selected:
            return None
        index = self.table.currentIndex()
        current = index.data(PackageRole) if index.isValid() else None
        if current is not None and current.package_id in {p.package_id for p in selected}:
            return current  # type: ignore[no-any-return]
        return selected[0]

    def select_package(self, package_id: str, *, add: bool = False) -> bool:
        row = self.model.row_of(package_id)
        if row < 0:
            return False
        index = self.proxy.mapFromSource(self.model.index(row, 0))
        flag = QItemSelectionModel.SelectionFlag
        flags = flag.Rows | (flag.Select if add else flag.ClearAndSelect)
        self.table.selectionModel().setCurrentIndex(index, flags)
        self.table.scrollTo(index)
        return True

    @Slot()
    def _on_selection(self, *_args: Any) -> None:
        package = self.current_package()
        self.details.setText(self.details_text(package) if package is not None else "")
        self.details.setVisible(package is not None)
        self._update_actions()

    def details_text(self, package: OutboxPackage) -> str:
        model = self.model
        title = model.title(package)
        lines = [
            f"{title[0].upper()}{title[1:]}: {model.state_text(package, full=True)}",
        ]
        facts = [self.tr("идентификатор %1").replace("%1", package.package_id)]
        facts.append(self.tr("подписан ключом %1").replace("%1", package.key_id))
        if package.supersedes:
            replaced = next(
                (p for p in model.packages() if p.package_id == package.supersedes), None
            )
            facts.append(
                self.tr("заменяет пакет № %1").replace("%1", str(replaced.sequence))
                if replaced
                else self.tr("заменяет пакет %1").replace("%1", package.supersedes)
            )
        if package.photo_step:
            facts.append(self.tr("фото уменьшены: %1").replace("%1", package.photo_step))
        text = "; ".join(facts)
        lines.append(f"{text[0].upper()}{text[1:]}.")
        events = []
        if package.written_at:
            events.append(
                self.tr("записан %1 в %2")
                .replace("%1", format_datetime(package.written_at))
                .replace("%2", package.written_to)
            )
        if package.sent_at:
            events.append(
                self.tr("отправлен %1 на %2")
                .replace("%1", format_datetime(package.sent_at))
                .replace("%2", package.sent_to)
            )
        if package.receipt_at:
            events.append(
                self.tr("квитанция региона от %1").replace(
                    "%1", format_datetime(package.receipt_at)
                )
                + (f": «{package.receipt_comment}»" if package.receipt_comment else "")
            )
        if events:
            text = "; ".join(events)
            lines.append(f"{text[0].upper()}{text[1:]}.")
        for part in package.parts:
            lines.append(
                self.tr("Часть %1: %2, %3, SHA-256 %4")
                .replace("%1", str(part.number))
                .replace("%2", part.file_name)
                .replace("%3", format_size(part.size))
                .replace("%4", part.sha256)
            )
        return "\n".join(lines)

    def _update_actions(self) -> None:
        package = self.current_package()
        idle = not self._busy
        locked = package is not None and package.package_id in self._locked_ids
        unsent = package is not None and package.sent_at is None
        replaced = package is not None and self.model.replaced_by(package) is not None
        self.make_button.setEnabled(idle)
        self.settings_button.setEnabled(idle)
        self.write_button.setEnabled(idle and package is not None and not locked)
        self.send_button.setEnabled(idle and unsent and not locked and not replaced)
        self.queue_button.setEnabled(idle and unsent and not locked and not replaced)
        queued = package is not None and package.send_queued and unsent
        self.queue_button.setText(
            self.tr("Убрать из о&череди на отправку")
            if queued
            else self.tr("Отправить, когда появится се&ть")
        )
        self.receipt_button.setEnabled(idle)
        for button in (self.card_button, self.pubkey_button, self.rotate_button):
            button.setEnabled(idle)

    @Slot()
    def copy_selection(self) -> None:
        packages = self.selected_packages()
        if packages:
            QApplication.clipboard().setText(copy_text(self.model, packages))

    @Slot(QModelIndex)
    def open_package_folder(self, index: QModelIndex) -> None:
        package = index.data(PackageRole)
        if package is not None:
            folder = self.outbox.folder / package.package_id
            QDesktopServices.openUrl(QUrl.fromLocalFile(str(folder)))

    # --- running tasks -------------------------------------------------------------------------
    @property
    def busy(self) -> bool:
        return self._busy

    def _begin(self, text: str) -> None:
        self._busy = True
        self.result.setText(text)
        self._update_actions()

    def _finish(self) -> None:
        if self._progress is not None:
            self._progress.close()
            self._progress.deleteLater()
            self._progress = None
        self._busy = False
        self.refresh_packages()
        self._update_actions()

    def _fail(self, exc: BaseException, prefix: str = "") -> None:
        """Said in the status line; the window shows it too unless it was a cancel."""
        self._finish()
        text = describe_error(exc)
        self.result.setText(f"{prefix}{text}" if prefix else text)
        if not isinstance(exc, CancelledError):
            self.failed.emit(exc)

    def _ignore(self, _exc: BaseException) -> None:
        pass

    def ask_passphrase(self, wrong: bool) -> str | None:
        """The key passphrase, for one task only: the caller hands it on and forgets it."""
        dialog = passphrase_dialog(self, wrong)
        try:
            if dialog.exec() != QDialog.DialogCode.Accepted:
                return None
            return dialog.textValue() or None
        finally:
            dialog.setTextValue("")
            dialog.deleteLater()

    def _run_with_key(
        self,
        work: Callable[[str | None], Callable[..., Any]],
        label: str,
        on_success: Callable[[Any], None],
        passphrase: str | None = None,
    ) -> None:
        """Run work(passphrase) with progress; a locked key asks for its passphrase and runs it
        again. The passphrase lives only in that one task."""

        def failed(exc: BaseException) -> None:
            if isinstance(exc, KeyFileError) and exc.problem in PASSPHRASE_PROBLEMS:
                self._finish()
                typed = self.ask_passphrase(wrong=exc.problem == "wrong_passphrase")
                if typed is not None:
                    self._run_with_key(work, label, on_success, typed)
                    return
                self.result.setText(self.tr("Не сделано: нужен пароль ключа подписи."))
                return
            self._fail(exc)

        def succeeded(value: Any) -> None:
            self._finish()
            on_success(value)

        self._begin(label)
        task = self._runner.run(
            work(passphrase), with_progress=True, on_success=succeeded, on_failure=failed
        )
        self._progress = progress_dialog(self, label, task)

    # --- making a package ----------------------------------------------------------------------
    @Slot()
    def make_package(self) -> None:
        if self._busy:
            return
        period = self.period()
        same = [p for p in self.model.packages() if p.period == period]
        if same:
            latest = max(same, key=lambda p: p.sequence)
            answer = QMessageBox.question(
                self,
                self.tr("Пакет за этот период уже есть"),
                self.tr(
                    "За период «%1» уже есть пакет № %2. Новый пакет получит № %3 и заменит "
                    "пакет № %2: регион будет считать действующим новый, прежний останется в "
                    "исходящих с пометкой «заменён». Сформировать пакет № %3?"
                )
                .replace("%1", self.model.period_text(period))
                .replace("%2", str(latest.sequence))
                .replace("%3", str(latest.sequence + 1)),
                QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No,
                QMessageBox.StandardButton.No,
            )
            if answer != QMessageBox.StandardButton.Yes:
                return
        max_size = self.settings.max_size()

        def work(passphrase: str | None) -> Callable[..., Any]:
            return functools.partial(
                self.outbox.make, period, max_size=max_size, passphrase=passphrase
            )

        self._run_with_key(
            work,
            self.tr("Формируется пакет за %1…").replace("%1", self.model.period_text(period)),
            self._made,
        )

    def _made(self, package: OutboxPackage) -> None:
        self.refresh()
        self.select_package(package.package_id)
        title = self.model.title(package)
        count = len(package.parts)
        text = (
            self.tr("%1 сформирован: %2 %3, %4.")
            .replace("%1", f"{title[0].upper()}{title[1:]}")
            .replace("%2", str(count))
            .replace("%3", plural(count, self.tr("файл"), self.tr("файла"), self.tr("файлов")))
            .replace("%4", format_size(package.size))
        )
        if package.photo_step:
            text += " " + self.tr("Фотографии уменьшены (%1).").replace("%1", package.photo_step)
        text += " " + self.tr("Теперь запишите его на флешку или отправьте по почте.")
        self.result.setText(text)
        self.package_made.emit(package.package_id)

    # --- to a drive ------------------------------------------------------------------------------
    @Slot()
    def write_selected(self) -> None:
        package = self.current_package()
        if package is None or self._busy:
            return
        chosen = QFileDialog.getExistingDirectory(
            self, self.tr("Куда записать пакет (флешка или папка)"), str(Path.home())
        )
        if not chosen:
            return
        folder = Path(chosen)
        label = self.tr("Пакет записывается в %1…").replace("%1", str(folder))
        package_id = package.package_id
        self._locked_ids.add(package_id)
        self._begin(label)

        def written(result: tuple[OutboxPackage, list[Path]]) -> None:
            self._locked_ids.discard(package_id)
            self._written(folder, *result)

        def failed(exc: BaseException) -> None:
            self._locked_ids.discard(package_id)
            self._fail(exc, self.tr("Пакет не записан. "))

        task = self._runner.run(
            functools.partial(write_package, self.outbox, package_id, folder),
            with_progress=True,
            on_success=written,
            on_failure=failed,
        )
        self._progress = progress_dialog(self, label, task)
        self._progress.setCancelButton(None)  # a copy half-made is worse than a wait

    def _written(self, folder: Path, package: OutboxPackage, written: list[Path]) -> None:
        self._finish()
        title = self.model.title(package)
        self.result.setText(
            self.tr(
                "%1 записан в %2 (%3). Файлы прочитаны с носителя и проверены: подпись и "
                "контрольные суммы сходятся. Носитель можно извлечь."
            )
            .replace("%1", f"{title[0].upper()}{title[1:]}")
            .replace("%2", str(folder))
            .replace("%3", ", ".join(path.name for path in written))
        )

    # --- by e-mail -------------------------------------------------------------------------------
    def _smtp(self) -> SmtpSettings | None:
        """The mail settings, or None after saying what is missing (and offering them)."""
        stored = self.settings.smtp()
        if stored is None:
            self._fail_with_settings(MailError("no_settings"))
            return None
        try:
            smtp = SmtpSettings.from_dict(stored)
            smtp.validate()
        except TochkaError as exc:
            self._fail_with_settings(exc)
            return None
        return smtp

    def _fail_with_settings(self, exc: TochkaError) -> None:
        self.result.setText(describe_error(exc))
        answer = QMessageBox.question(
            self,
            self.tr("Почта не настроена"),
            describe_error(exc) + "\n\n" + self.tr("Открыть настройки отправки?"),
            QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No,
            QMessageBox.StandardButton.Yes,
        )
        if answer == QMessageBox.StandardButton.Yes:
            self.open_settings()

    def _with_password(
        self, smtp: SmtpSettings, then: Callable[[str | None, bool], None], note: str = ""
    ) -> None:
        """then(password, remember): the keyring's password, else one typed now."""
        if not smtp.login:
            then(None, False)
            return

        def loaded(stored: str | None) -> None:
            if stored:
                then(stored, False)
                return
            dialog = MailPasswordDialog(
                smtp.login, keyring=bool(self._keyring), note=note, parent=self
            )
            try:
                if dialog.exec() != QDialog.DialogCode.Accepted:
                    self.result.setText(self.tr("Отправка отменена: пароль почты не введён."))
                    return
                then(dialog.password.text(), dialog.remember.isChecked())
            finally:
                dialog.password.clear()
                dialog.deleteLater()

        if self._keyring is False:
            loaded(None)
        else:
            self._runner.run(
                load_password, smtp.credential_key, on_success=loaded, on_failure=self._fail
            )

    @Slot()
    def send_selected(self) -> None:
        package = self.current_package()
        if package is None or self._busy:
            return
        smtp = self._smtp()
        if smtp is None:
            return
        self._with_password(
            smtp, lambda password, remember: self._send(package, smtp, password, remember)
        )

    def _send(
        self, package: OutboxPackage, smtp: SmtpSettings, password: str | None, remember: bool
    ) -> None:
        if self._busy or package.package_id in self._locked_ids:
            return
        title = self.model.title(package)
        label = (
            self.tr("Отправляется %1 на %2…")
            .replace("%1", title)
            .replace("%2", ", ".join(smtp.recipients))
        )
        self._locked_ids.add(package.package_id)
        self._begin(label)

        def done() -> None:
            self._locked_ids.discard(package.package_id)

        def sent(result: OutboxPackage) -> None:
            done()
            self._finish()
            self._sent(result)

        def failed(exc: BaseException) -> None:
            done()
            self._fail(exc, self.tr("Пакет не отправлен. "))

        task = self._runner.run(
            functools.partial(
                send_package, self.outbox, package.package_id, smtp, password, remember
            ),
            with_progress=True,
            on_success=sent,
            on_failure=failed,
        )
        self._progress = progress_dialog(self, label, task)

    def _sent(self, package: OutboxPackage) -> None:
        title = self.model.title(package)
        count = len(package.parts)
        self.result.setText(
            self.tr(
                "%1 отправлен по почте на %2: %3 %4. Когда регион пришлёт квитанцию, "
                "загрузите её кнопкой «Загрузить квитанцию…»."
            )
            .replace("%1", f"{title[0].upper()}{title[1:]}")
            .replace("%2", package.sent_to)
            .replace("%3", str(count))
            .replace("%4", plural(count, self.tr("письмо"), self.tr("письма"), self.tr("писем")))
        )

    @Slot()
    def queue_selected(self) -> None:
        package = self.current_package()
        if package is None or self._busy:
            return
        if package.send_queued:
            self._runner.write(
                unqueue_package,
                self.outbox,
                package.package_id,
                on_success=lambda _p: self._queued(package, False),
                on_failure=self._fail,
            )
            return
        smtp = self._smtp()
        if smtp is None:
            return
        note = (
            ""
            if self._keyring
            else self.tr(
                "Пароль останется только в памяти, пока программа открыта: после её "
                "перезапуска его спросят снова."
            )
        )

        def queue(password: str | None, remember: bool) -> None:
            if password and not remember:
                self._queue_password = password
            self._runner.write(
                queue_package,
                self.outbox,
                package.package_id,
                smtp,
                password,
                remember,
                on_success=lambda _p: self._queued(package, True),
                on_failure=self._fail,
            )

        self._with_password(smtp, queue, note)

    def _queued(self, package: OutboxPackage, queued: bool) -> None:
        self.refresh_packages()
        title = self.model.title(package)
        if queued:
            self.result.setText(
                self.tr(
                    "%1 поставлен в очередь: программа отправит его, как только появится "
                    "связь с почтовым сервером (проверяет каждую минуту, пока программа открыта)."
                ).replace("%1", f"{title[0].upper()}{title[1:]}")
            )
            self.send_due()
        else:
            self.result.setText(
                self.tr("%1 убран из очереди на отправку.").replace(
                    "%1", f"{title[0].upper()}{title[1:]}"
                )
            )

    @Slot()
    def send_due(self) -> None:
        """The timer's round: send what is queued and due, in a worker, without dialogs."""
        if self._queue_task is not None:
            return
        queued = [p for p in self.model.packages() if p.send_queued and p.sent_at is None]
        if not queued:
            self._queue_password = None  # nothing waits for it any more
            return
        stored = self.settings.smtp()
        if stored is None:
            return
        try:
            smtp = SmtpSettings.from_dict(stored)
        except TochkaError:
            return
        skip = frozenset(self._locked_ids)
        ids = {p.package_id for p in queued} - skip
        self._locked_ids |= ids

        def finished(outcomes: list[QueueOutcome]) -> None:
            self._queue_task = None
            self._locked_ids.difference_update(ids)
            self._queue_done(outcomes)

        def failed(exc: BaseException) -> None:
            self._queue_task = None
            self._locked_ids.difference_update(ids)
            self.refresh_packages()
            self.result.setText(
                self.tr("Отправка из очереди: %1").replace("%1", describe_error(exc))
            )

        self._queue_task = self._runner.run(
            send_queued,
            self.outbox,
            smtp,
            self._queue_password,
            skip,
            with_progress=True,
            on_success=finished,
            on_failure=failed,
        )
        self._update_actions()

    def _queue_done(self, outcomes: list[QueueOutcome]) -> None:
        self.refresh_packages()
        lines = []
        for outcome in outcomes:
            title = self.model.title(outcome.package)
            title = f"{title[0].upper()}{title[1:]}"
            if outcome.error is None:
                lines.append(
                    self.tr("%1 отправлен из очереди на %2.")
                    .replace("%1", title)
                    .replace("%2", outcome.package.sent_to)
                )
            elif outcome.retrying:
                lines.append(
                    self.tr("%1 пока не отправлен, программа попробует ещё раз: %2")
                    .replace("%1", title)
                    .replace("%2", describe_error(outcome.error))
                )
            else:
                lines.append(
                    self.tr("%1 не отправлен и убран из очереди: %2")
                    .replace("%1", title)
                    .replace("%2", describe_error(outcome.error))
                )
        if lines:
            self.result.setText("\n".join(lines))

    # --- receipts ------------------------------------------------------------------------------
    @Slot()
    def import_receipt(self) -> None:
        if self._busy:
            return
        keys = self.settings.operator_keys()
        if not keys:
            answer = QMessageBox.question(
                self,
                self.tr("Нет ключа регионального оператора"),
                self.tr(
                    "Чтобы проверить квитанцию, нужен открытый ключ регионального оператора: "
                    "его присылает регион. Ключ ещё не указан. Открыть «Настройки отправки», "
                    "чтобы вставить его?"
                ),
                QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No,
                QMessageBox.StandardButton.Yes,
            )
            if answer == QMessageBox.StandardButton.Yes:
                self.open_settings()
            return
        path, _ = QFileDialog.getOpenFileName(
            self,
            self.tr("Квитанция регионального оператора"),
            str(Path.home()),
            self.tr("Квитанция (*.zip);;Все файлы (*)"),
        )
        if not path:
            return
        self._begin(self.tr("Квитанция проверяется…"))
        self._runner.write(
            import_receipt_file,
            self.outbox,
            Path(path),
            keys,
            on_success=self._receipt_imported,
            on_failure=lambda exc: self._fail(exc, self.tr("Квитанция не принята. ")),
        )

    def _receipt_imported(self, package: OutboxPackage) -> None:
        self._finish()
        self.select_package(package.package_id)
        title = self.model.title(package)
        text = (
            self.tr("Квитанция загружена: %1 — %2.")
            .replace("%1", title)
            .replace("%2", self.model.status_names[package.status])
        )
        if package.receipt_comment:
            text += " " + self.tr("Комментарий оператора: «%1»").replace(
                "%1", package.receipt_comment
            )
        self.result.setText(text)

    # --- settings ------------------------------------------------------------------------------
    def _keyring_known(self, state: tuple[bool, bool]) -> None:
        self._keyring, self._password_stored = state

    @Slot()
    def open_settings(self) -> None:
        dialog = PackageSettingsDialog(
            self.settings.max_size(),
            self.settings.smtp(),
            self.settings.operator_keys(),
            keyring=bool(self._keyring),
            password_stored=self._password_stored,
            parent=self,
        )
        try:
            if dialog.exec() != QDialog.DialogCode.Accepted:
                return
            chosen = dialog.settings()
        finally:
            dialog.password.clear()
            dialog.deleteLater()
        if chosen is None:
            return
        self._runner.write(
            save_sending_settings,
            self.settings,
            chosen,
            on_success=lambda _r: self._settings_saved(chosen),
            on_failure=self._fail,
        )

    def _settings_saved(self, chosen: SendingSettings) -> None:
        if chosen.smtp is not None and self._keyring:
            self._password_stored = chosen.remember and (
                bool(chosen.password) or self._password_stored
            )
        self.result.setText(self.tr("Настройки отправки сохранены."))
        self.refresh()

    # --- the signing key -----------------------------------------------------------------------
    def _current_key_id(self) -> str:
        current = next((r for r in self._keys if r.current), None)
        return current.key_id if current else ""

    @Slot()
    def save_key_card(self) -> None:
        if self._busy:
            return
        key_id = self._current_key_id()
        name = (
            self.tr("Карточка ключа %1 %2.pdf")
            .replace("%1", key_id)
            .replace("%2", format_date(dt.date.today()))
        )
        chosen, _ = QFileDialog.getSaveFileName(
            self,
            self.tr("Сохранить карточку ключа"),
            str(Path.home() / " ".join(name.split())),
            self.tr("Документ PDF (*.pdf)"),
        )
        if not chosen:
            return
        out = Path(chosen)
        if out.suffix.lower() != ".pdf":
            out = out.with_name(out.name + ".pdf")

        def work(passphrase: str | None) -> Callable[..., Any]:
            return functools.partial(save_key_card, self._center, self._layout, out, passphrase)

        self._run_with_key(
            work, self.tr("Готовится карточка ключа…"), lambda fp: self._card_saved(out, fp)
        )

    def _card_saved(self, out: Path, fingerprint: str) -> None:
        self.refresh()
        self.result.setText(
            self.tr(
                "Карточка ключа сохранена: %1. Распечатайте её, подпишите у директора, "
                "заверьте печатью и отправьте региональному оператору. Отпечаток ключа: %2."
            )
            .replace("%1", str(out))
            .replace("%2", fingerprint)
        )
        self.last_card = out

    @Slot()
    def save_public_key(self) -> None:
        if self._busy:
            return
        key_id = self._current_key_id()
        chosen, _ = QFileDialog.getSaveFileName(
            self,
            self.tr("Сохранить открытый ключ"),
            str(Path.home() / (f"school-{key_id}.pub" if key_id else "school.pub")),
            self.tr("Открытый ключ minisign (*.pub)"),
        )
        if not chosen:
            return
        out = Path(chosen)

        def work(passphrase: str | None) -> Callable[..., Any]:
            return functools.partial(save_public_key, self._layout, out, passphrase)

        self._run_with_key(
            work, self.tr("Сохраняется открытый ключ…"), lambda kid: self._pubkey_saved(out, kid)
        )

    def _pubkey_saved(self, out: Path, key_id: str) -> None:
        self.refresh()
        self.result.setText(
            self.tr("Открытый ключ %1 сохранён: %2.").replace("%1", key_id).replace("%2", str(out))
        )

    @Slot()
    def rotate_key(self) -> None:
        if self._busy:
            return
        answer = QMessageBox.question(
            self,
            self.tr("Сменить ключ подписи"),
            self.tr(
                "Будет создан новый ключ подписи; прежний больше ничего не подпишет. Пакеты, "
                "подписанные раньше, по-прежнему проверяются: прежний открытый ключ "
                "сохраняется.\n\nПосле смены распечатайте карточку нового ключа, подпишите её "
                "у директора, заверьте печатью и отправьте региональному оператору — без неё "
                "регион не примет новые пакеты.\n\nСменить ключ?"
            ),
            QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No,
            QMessageBox.StandardButton.No,
        )
        if answer != QMessageBox.StandardButton.Yes:
            return
        dialog = NewPassphraseDialog(self)
        try:
            if dialog.exec() != QDialog.DialogCode.Accepted:
                return
            passphrase = dialog.passphrase()
        finally:
            dialog.first.clear()
            dialog.second.clear()
            dialog.deleteLater()
        label = self.tr("Создаётся новый ключ…")
        self._begin(label)
        task = self._runner.run(
            functools.partial(replace_key, self._layout, passphrase),
            with_progress=True,
            on_success=self._rotated,
            on_failure=self._fail,
        )
        self._progress = progress_dialog(self, label, task)

    def _rotated(self, key_id: str) -> None:
        self._finish()
        self.refresh()
        self.result.setText(
            self.tr(
                "Новый ключ подписи %1 создан. Распечатайте его карточку и отправьте в регион."
            ).replace("%1", key_id)
        )
        answer = QMessageBox.question(
            self,
            self.tr("Карточка нового ключа"),
            self.tr("Сохранить карточку нового ключа (PDF) сейчас, чтобы распечатать её?"),
            QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No,
            QMessageBox.StandardButton.Yes,
        )
        if answer == QMessageBox.StandardButton.Yes:
            self._keys = key_history(self._layout)
            self.save_key_card()


def megabytes(size: int) -> str:
    """A size limit in megabytes as people set it: «20», «12,5» (decimal, as mail services
    count; format_size counts in binary units, which would show 20 MB as «19,1»)."""
    return f"{size / MEGABYTE:g}".replace(".", ",")
