"""The center profile: a form used by the first-run wizard and by the «Профиль центра» dialog."""

from __future__ import annotations

import datetime as dt

from PySide6.QtCore import QDate, QRegularExpression, Qt, Signal, Slot
from PySide6.QtGui import QRegularExpressionValidator
from PySide6.QtWidgets import (
    QDateEdit,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QGroupBox,
    QLabel,
    QLineEdit,
    QMessageBox,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
    QWizard,
    QWizardPage,
)

from core.errors import ValidationError
from core.model import CenterProfile
from core.profile import validate_profile
from ui.messages import describe_error

DATE_FORMAT = "dd.MM.yyyy"


def to_qdate(value: dt.date) -> QDate:
    return QDate(value.year, value.month, value.day)


def from_qdate(value: QDate) -> dt.date:
    return dt.date(value.year(), value.month(), value.day())


class ProfileForm(QWidget):
    """Three groups of fields; the wizard shows one group per page, the dialog all three."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.school_full_name = QLineEdit()
        self.school_short_name = QLineEdit()
        self.inn = QLineEdit()
        self.inn.setValidator(QRegularExpressionValidator(QRegularExpression(r"\d{0,12}")))
        self.inn.setPlaceholderText(self.tr("10 цифр"))
        self.municipality = QLineEdit()
        self.address = QLineEdit()
        self.pupils = QSpinBox()
        self.pupils.setRange(1, 10000)
        self.pupils.setValue(300)
        self.director = QLineEdit()
        self.center_head = QLineEdit()
        self.phone = QLineEdit()
        self.phone.setPlaceholderText("+7 (4212) 00-00-00")
        self.email = QLineEdit()
        self.email.setPlaceholderText("school@example.ru")
        self.campaign_year = QSpinBox()
        self.campaign_year.setRange(2018, 2100)
        self.opening_date = QDateEdit()
        self.opening_date.setDisplayFormat(DATE_FORMAT)
        self.opening_date.setCalendarPopup(True)
        today = dt.date.today()
        year = today.year if today.month < 6 else today.year + 1
        self.campaign_year.setValue(year)
        self.opening_date.setDate(QDate(year, 9, 1))
        self.campaign_year.valueChanged.connect(self._on_year_changed)

        self.school_group = self._group(
            self.tr("Школа"),
            [
                (self.tr("&Полное наименование:"), self.school_full_name),
                (self.tr("&Краткое наименование:"), self.school_short_name),
                (self.tr("&ИНН:"), self.inn),
                (self.tr("&Муниципальное образование:"), self.municipality),
                (self.tr("&Адрес:"), self.address),
                (self.tr("Число &обучающихся:"), self.pupils),
            ],
        )
        self.people_group = self._group(
            self.tr("Руководство и контакты"),
            [
                (self.tr("&Директор (ФИО):"), self.director),
                (self.tr("&Руководитель Центра (ФИО):"), self.center_head),
                (self.tr("&Телефон:"), self.phone),
                (self.tr("&Электронная почта:"), self.email),
            ],
        )
        self.center_group = self._group(
            self.tr("Центр «Точка роста»"),
            [
                (self.tr("&Год создания Центра:"), self.campaign_year),
                (self.tr("Плановая дата &открытия:"), self.opening_date),
            ],
        )
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        for group in (self.school_group, self.people_group, self.center_group):
            layout.addWidget(group)

    @staticmethod
    def _group(title: str, rows: list[tuple[str, QWidget]]) -> QGroupBox:
        box = QGroupBox(title)
        form = QFormLayout(box)
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        for label, widget in rows:
            caption = QLabel(label)
            caption.setBuddy(widget)
            form.addRow(caption, widget)
        return box

    @Slot(int)
    def _on_year_changed(self, year: int) -> None:
        current = self.opening_date.date()
        if current.year() != year:
            self.opening_date.setDate(QDate(year, current.month(), min(current.day(), 28)))

    def fields_of(self, group: QGroupBox) -> list[str]:
        return [name for name in _FIELD_NAMES if group.isAncestorOf(getattr(self, name))]

    def widget_for(self, field: str) -> QWidget | None:
        widget = getattr(self, field, None)
        return widget if isinstance(widget, QWidget) else None

    def profile(self) -> CenterProfile:
        return CenterProfile(
            school_full_name=self.school_full_name.text().strip(),
            school_short_name=self.school_short_name.text().strip(),
            inn=self.inn.text().strip(),
            municipality=self.municipality.text().strip(),
            address=self.address.text().strip(),
            director=self.director.text().strip(),
            center_head=self.center_head.text().strip(),
            phone=self.phone.text().strip(),
            email=self.email.text().strip(),
            pupils=self.pupils.value(),
            campaign_year=self.campaign_year.value(),
            opening_date=from_qdate(self.opening_date.date()),
        )

    def set_profile(self, profile: CenterProfile) -> None:
        for name in _TEXT_FIELDS:
            getattr(self, name).setText(getattr(profile, name))
        self.pupils.setValue(profile.pupils)
        self.campaign_year.setValue(profile.campaign_year)
        self.opening_date.setDate(to_qdate(profile.opening_date))

    def check(self, fields: list[str] | None = None) -> bool:
        """Validate (some) fields; on a problem tell the user and put the cursor there."""
        try:
            validate_profile(self.profile(), only=fields)
        except ValidationError as exc:
            QMessageBox.warning(self, self.tr("Проверьте профиль"), describe_error(exc))
            widget = self.widget_for(exc.field)
            if widget is not None:
                widget.setFocus()
            return False
        return True


_TEXT_FIELDS = (
    "school_full_name",
    "school_short_name",
    "inn",
    "municipality",
    "address",
    "director",
    "center_head",
    "phone",
    "email",
)
_FIELD_NAMES = (*_TEXT_FIELDS, "pupils", "campaign_year", "opening_date")


class _GroupPage(QWizardPage):
    def __init__(self, form: ProfileForm, group: QGroupBox, title: str, subtitle: str) -> None:
        super().__init__()
        self._form = form
        self._fields = form.fields_of(group)
        self.setTitle(title)
        self.setSubTitle(subtitle)
        layout = QVBoxLayout(self)
        group.setTitle("")
        group.setFlat(True)
        layout.addWidget(group)

    def validatePage(self) -> bool:
        return self._form.check(self._fields)


class FirstRunWizard(QWizard):
    """The first start: the profile of the center, page by page."""

    profile_entered = Signal(object)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(self.tr("Первый запуск — профиль центра «Точка роста»"))
        self.setWizardStyle(QWizard.WizardStyle.ClassicStyle)
        self.setOption(QWizard.WizardOption.NoBackButtonOnStartPage, True)
        self.form = ProfileForm()
        intro = QWizardPage()
        intro.setTitle(self.tr("Добро пожаловать"))
        text = QLabel(
            self.tr(
                "Программа помогает подготовить и открыть центр «Точка роста»: чек-лист "
                "готовности, фото и документы, сроки.\n\nСначала заполните профиль школы и "
                "центра — он попадёт в отчёты. Его можно изменить позже в меню "
                "«Файл → Профиль центра». Всё, что вы вводите, сохраняется сразу."
            )
        )
        text.setWordWrap(True)
        restore_hint = QLabel(
            self.tr(
                "Переносите программу на новый компьютер или восстанавливаете после поломки? "
                "Восстановите данные из резервной копии — профиль заполнять не нужно."
            )
        )
        restore_hint.setWordWrap(True)
        self.restore_button = QPushButton(self.tr("&Восстановить из резервной копии…"))
        self.restore_button.clicked.connect(self._restore_chosen)
        self.restore_wanted = False
        intro_layout = QVBoxLayout(intro)
        intro_layout.addWidget(text)
        intro_layout.addStretch(1)
        intro_layout.addWidget(restore_hint)
        intro_layout.addWidget(self.restore_button, 0, Qt.AlignmentFlag.AlignLeft)
        self.addPage(intro)
        self.addPage(
            _GroupPage(
                self.form,
                self.form.school_group,
                self.tr("Школа"),
                self.tr("Как в уставе школы. ИНН — 10 цифр."),
            )
        )
        self.addPage(
            _GroupPage(
                self.form,
                self.form.people_group,
                self.tr("Руководство и контакты"),
                self.tr("Кто подписывает отчёты и с кем связаться."),
            )
        )
        self.addPage(
            _GroupPage(
                self.form,
                self.form.center_group,
                self.tr("Центр «Точка роста»"),
                self.tr("Год создания Центра и когда его планируется открыть."),
            )
        )
        self.setButtonText(QWizard.WizardButton.NextButton, self.tr("Далее >"))
        self.setButtonText(QWizard.WizardButton.BackButton, self.tr("< Назад"))
        self.setButtonText(QWizard.WizardButton.FinishButton, self.tr("Готово"))
        self.setButtonText(QWizard.WizardButton.CancelButton, self.tr("Отмена"))
        self.resize(640, 460)

    def _restore_chosen(self) -> None:
        """The wizard closes without a profile; first_run() then offers the restore."""
        self.restore_wanted = True
        self.reject()

    def accept(self) -> None:
        if self.form.check():
            self.profile_entered.emit(self.form.profile())
            super().accept()


class ProfileDialog(QDialog):
    """Edit the profile later; saved when the user presses «Сохранить»."""

    def __init__(self, profile: CenterProfile | None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(self.tr("Профиль центра"))
        self.form = ProfileForm()
        if profile is not None:
            self.form.set_profile(profile)
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel
        )
        buttons.button(QDialogButtonBox.StandardButton.Save).setText(self.tr("Сохранить"))
        buttons.button(QDialogButtonBox.StandardButton.Cancel).setText(self.tr("Отмена"))
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(self.form)
        layout.addWidget(buttons)
        self.resize(640, 0)

    def _restore_chosen(self) -> None:
        """The wizard closes without a profile; first_run() then offers the restore."""
        self.restore_wanted = True
        self.reject()

    def accept(self) -> None:
        if self.form.check():
            super().accept()
