"""Dialogs of «Отчёт в регион»: the sending settings (size limit, mail server, the regional
operator's keys), the mail password asked before sending, the signing key's passphrase, and a new
passphrase when the key is replaced. The dialogs only collect and check values; the page saves
them through the task runner."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, cast

from PySide6.QtCore import Qt, Slot
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QDoubleSpinBox,
    QFormLayout,
    QGroupBox,
    QInputDialog,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QSpinBox,
    QStyle,
    QVBoxLayout,
    QWidget,
)

from core.errors import KeyFileError, TochkaError, ValidationError
from core.keys import COMMENT_PREFIX, key_id_of, parse_public_key, public_key_text
from core.mail import DEFAULT_PORTS, Security, SmtpSettings, parse_recipients
from core.package import MIN_MAX_SIZE
from ui.messages import describe_error

MEGABYTE = 1000 * 1000  # as mail services and parse_size count
ERROR_STYLE = "color: #c5221f;"
HINT_STYLE = "color: #5f6368;"


@dataclass(frozen=True)
class SendingSettings:
    """What the settings dialog collected; the page writes it through the single writer."""

    max_size: int
    smtp: SmtpSettings | None  # None: mail left unconfigured
    password: str  # "" when none was typed
    remember: bool  # keep the password in the system keyring
    forget: bool  # «запомнить» unticked: the keyring forgets what it held
    operator_keys: tuple[str, ...]


def split_key_texts(text: str) -> list[tuple[int, str]]:
    """The operator keys pasted into the box: each line a key (`RW…`), or a whole .pub block
    (an `untrusted comment:` line followed by its key line). Returns (line number, key text)."""
    keys: list[tuple[int, str]] = []
    pending: tuple[int, str] | None = None
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        if line.lower().startswith(COMMENT_PREFIX):
            if pending is not None:
                keys.append(pending)  # a comment line without its key: named as bad below
            pending = (number, line)
            continue
        if pending is not None:
            keys.append((pending[0], f"{pending[1]}\n{line}"))
            pending = None
        else:
            keys.append((number, line))
    if pending is not None:
        keys.append(pending)
    return keys


class PackageSettingsDialog(QDialog):
    """«Настройки отправки»: Esc closes without saving; OK checks everything first."""

    def __init__(
        self,
        max_size: int,
        smtp: dict[str, Any] | None,
        operator_keys: list[str],
        *,
        keyring: bool,
        password_stored: bool = False,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle(self.tr("Настройки отправки"))
        self._keyring = keyring
        self._password_stored = password_stored
        self._had_smtp = bool(smtp)
        self._result: SendingSettings | None = None

        self.max_size = QDoubleSpinBox()
        self.max_size.setRange(MIN_MAX_SIZE / MEGABYTE, 1000)
        self.max_size.setDecimals(1)
        self.max_size.setSingleStep(1)
        self.max_size.setSuffix(self.tr(" МБ"))
        self.max_size.setValue(max_size / MEGABYTE)
        size_box = QGroupBox(self.tr("Пакет"))
        size_form = QFormLayout(size_box)
        size_hint = QLabel(
            self.tr(
                "Почтовые службы обычно принимают письма до 20–25 МБ. Больший пакет программа "
                "уменьшит (фотографии) или разделит на части."
            )
        )
        size_hint.setWordWrap(True)
        size_hint.setStyleSheet(HINT_STYLE)
        size_form.addRow(
            self._label(self.tr("Пре&дел размера файла:"), self.max_size), self.max_size
        )
        size_form.addRow(size_hint)

        stored = dict(smtp or {})
        self.host = QLineEdit(str(stored.get("host", "")))
        self.host.setPlaceholderText(self.tr("например, smtp.yandex.ru"))
        self.security = QComboBox()
        self.security.addItem(self.tr("SSL"), "ssl")
        self.security.addItem(self.tr("STARTTLS"), "starttls")
        self.security.addItem(self.tr("без шифрования"), "none")
        security = str(stored.get("security", "ssl"))
        self.security.setCurrentIndex(max(self.security.findData(security), 0))
        self._security = str(self.security.currentData())
        self.port = QSpinBox()
        self.port.setRange(1, 65535)
        self.port.setValue(int(stored.get("port") or DEFAULT_PORTS[self._security]))
        self.clear_text_warning = QLabel(
            self.tr(
                "Без шифрования пароль и письма идут по сети открытым текстом — их может "
                "прочитать любой, кто подключён к той же сети. Выбирайте, только если сервер "
                "иначе не работает."
            )
        )
        self.clear_text_warning.setWordWrap(True)
        self.clear_text_warning.setStyleSheet(ERROR_STYLE)
        self.login = QLineEdit(str(stored.get("login", "")))
        self.login.setPlaceholderText(self.tr("обычно адрес почты; пусто — без входа"))
        self.sender_address = QLineEdit(str(stored.get("sender", "")))
        self.sender_address.setPlaceholderText(self.tr("адрес школы, например school@example.ru"))
        self.recipients = QLineEdit(", ".join(stored.get("recipients", []) or []))
        self.recipients.setPlaceholderText(self.tr("через запятую, если адресов несколько"))
        self.password = QLineEdit()
        self.password.setEchoMode(QLineEdit.EchoMode.Password)
        self.remember = QCheckBox(self.tr("Запомнить пароль в системном &хранилище"))
        self.password_hint = QLabel()
        self.password_hint.setWordWrap(True)
        self.password_hint.setStyleSheet(HINT_STYLE)
        if keyring:
            self.remember.setChecked(password_stored)
            self.password.setPlaceholderText(
                self.tr("сохранён — введите, только чтобы заменить")
                if password_stored
                else self.tr("пароль почтового ящика")
            )
            self.password_hint.setText(
                self.tr(
                    "Пароль хранится в системном хранилище паролей (не в папке данных). "
                    "Снимите отметку, чтобы программа его забыла."
                )
            )
        else:
            self.password.setVisible(False)
            self.remember.setVisible(False)
            self.password_hint.setText(
                self.tr(
                    "Системного хранилища паролей на этом компьютере нет: пароль почты "
                    "будет спрашиваться при каждой отправке."
                )
            )
        mail_box = QGroupBox(self.tr("Почта (SMTP)"))
        mail_form = QFormLayout(mail_box)
        mail_form.addRow(self._label(self.tr("Почтовый &сервер:"), self.host), self.host)
        mail_form.addRow(self._label(self.tr("&Защита:"), self.security), self.security)
        mail_form.addRow(self._label(self.tr("&Порт:"), self.port), self.port)
        mail_form.addRow(self.clear_text_warning)
        mail_form.addRow(self._label(self.tr("&Логин:"), self.login), self.login)
        mail_form.addRow(
            self._label(self.tr("&Адрес отправителя:"), self.sender_address), self.sender_address
        )
        mail_form.addRow(
            self._label(self.tr("Адрес р&егионального оператора:"), self.recipients),
            self.recipients,
        )
        if keyring:
            mail_form.addRow(self._label(self.tr("Пар&оль:"), self.password), self.password)
            mail_form.addRow("", self.remember)
        mail_form.addRow(self.password_hint)

        self.operator_keys = QPlainTextEdit("\n\n".join(k.strip() for k in operator_keys))
        self.operator_keys.setTabChangesFocus(True)
        self.operator_keys.setPlaceholderText("untrusted comment: minisign public key …\nRW…")
        self.operator_keys.setMinimumHeight(90)
        keys_box = QGroupBox(self.tr("Ключи регионального оператора (для квитанций)"))
        keys_layout = QVBoxLayout(keys_box)
        keys_hint = QLabel(
            self.tr(
                "Открытый ключ оператора из его письма или с сайта: по ключу в строке (строка "
                "«RW…») или файл .pub целиком. Сверьте ключ с оператором по телефону."
            )
        )
        keys_hint.setWordWrap(True)
        keys_hint.setStyleSheet(HINT_STYLE)
        keys_label = self._label(self.tr("&Ключи:"), self.operator_keys)
        keys_layout.addWidget(keys_label)
        keys_layout.addWidget(self.operator_keys)
        keys_layout.addWidget(keys_hint)

        self.error = QLabel()
        self.error.setWordWrap(True)
        self.error.setStyleSheet(ERROR_STYLE)
        self.error.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.error.hide()
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        self.buttons.button(QDialogButtonBox.StandardButton.Ok).setText(self.tr("Сохранить"))
        self.buttons.button(QDialogButtonBox.StandardButton.Cancel).setText(self.tr("Отмена"))
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)

        layout = QVBoxLayout(self)
        layout.addWidget(size_box)
        layout.addWidget(mail_box)
        layout.addWidget(keys_box, 1)
        layout.addWidget(self.error)
        layout.addWidget(self.buttons)
        self.security.currentIndexChanged.connect(self._on_security)
        self._on_security()
        self.resize(620, self.sizeHint().height())

    def _label(self, text: str, buddy: QWidget) -> QLabel:
        label = QLabel(text)
        label.setBuddy(buddy)
        return label

    @Slot()
    def _on_security(self) -> None:
        new = str(self.security.currentData())
        if self.port.value() == DEFAULT_PORTS.get(self._security):
            self.port.setValue(DEFAULT_PORTS[new])  # the user's own port stays
        self._security = new
        self.clear_text_warning.setVisible(new == "none")

    # --- checking --------------------------------------------------------------------------
    def _mail_left_empty(self) -> bool:
        return not any(
            w.text().strip() for w in (self.host, self.login, self.sender_address, self.recipients)
        )

    def smtp_settings(self) -> SmtpSettings | None:
        if self._mail_left_empty() and not self._had_smtp:
            return None  # mail not set up (a flash drive is enough); once set up, it is checked
        return SmtpSettings(
            host=self.host.text().strip(),
            port=self.port.value(),
            security=cast(Security, self.security.currentData()),
            login=self.login.text().strip(),
            sender=self.sender_address.text().strip(),
            recipients=parse_recipients(self.recipients.text()),
        )

    def operator_key_texts(self) -> tuple[str, ...]:
        """Each key as a standard .pub text; KeyFileError naming the line of a bad one."""
        texts: list[str] = []
        seen: dict[str, Any] = {}
        for number, text in split_key_texts(self.operator_keys.toPlainText()):
            source = self.tr("строка %1").replace("%1", str(number))
            public = parse_public_key(text, source)
            key_id = key_id_of(public)
            if key_id in seen:
                if seen[key_id] != public:
                    raise KeyFileError(source, "conflicting_key", key_id)
                continue
            seen[key_id] = public
            texts.append(public_key_text(public))
        return tuple(texts)

    def _widget_of(self, exc: TochkaError) -> QWidget | None:
        if isinstance(exc, ValidationError):
            widgets: dict[str, QWidget] = {
                "smtp_host": self.host,
                "smtp_port": self.port,
                "smtp_security": self.security,
                "smtp_login": self.login,
                "smtp_sender": self.sender_address,
                "smtp_recipients": self.recipients,
                "max_size": self.max_size,
            }
            return widgets.get(exc.field)
        if isinstance(exc, KeyFileError):
            return self.operator_keys
        return None

    def show_error(self, exc: TochkaError) -> None:
        text = describe_error(exc)
        if isinstance(exc, KeyFileError):
            text = self.tr("Ключи регионального оператора: %1").replace("%1", text)
        self.error.setText(text)
        self.error.show()
        # a wrapped label asks for its height only when laid out: make room for all of it
        margins = self.contentsMargins().left() + 2 * self.style().pixelMetric(
            QStyle.PixelMetric.PM_LayoutLeftMargin
        )
        width = self.width() - margins
        self.error.setMinimumHeight(self.error.heightForWidth(width))
        self.resize(self.width(), max(self.height(), self.sizeHint().height()))
        widget = self._widget_of(exc)
        if widget is not None:
            widget.setFocus()

    def settings(self) -> SendingSettings | None:
        """What was accepted; None before OK (or after Отмена)."""
        return self._result

    def accept(self) -> None:
        try:
            smtp = self.smtp_settings()
            if smtp is not None:
                smtp.validate()
            keys = self.operator_key_texts()
        except TochkaError as exc:
            self.show_error(exc)
            return
        self.error.hide()
        self._result = SendingSettings(
            max_size=round(self.max_size.value() * MEGABYTE),
            smtp=smtp,
            password=self.password.text() if self._keyring else "",
            remember=self._keyring and self.remember.isChecked(),
            forget=self._keyring and not self.remember.isChecked(),
            operator_keys=keys,
        )
        super().accept()


class MailPasswordDialog(QDialog):
    """The mail password, asked before sending when the keyring does not hold it."""

    def __init__(
        self,
        account: str,
        *,
        keyring: bool,
        note: str = "",
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle(self.tr("Пароль почты"))
        text = self.tr("Пароль почтового ящика %1:").replace("%1", account)
        self.label = QLabel(text)
        self.label.setWordWrap(True)
        self.password = QLineEdit()
        self.password.setEchoMode(QLineEdit.EchoMode.Password)
        self.label.setBuddy(self.password)
        self.remember = QCheckBox(self.tr("&Запомнить пароль в системном хранилище"))
        self.remember.setVisible(keyring)
        self.note = QLabel(
            note
            or (
                ""
                if keyring
                else self.tr(
                    "Системного хранилища паролей нет: пароль будет спрашиваться при каждой "
                    "отправке."
                )
            )
        )
        self.note.setWordWrap(True)
        self.note.setStyleSheet(HINT_STYLE)
        self.note.setVisible(bool(self.note.text()))
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        buttons.button(QDialogButtonBox.StandardButton.Ok).setText(self.tr("Отправить"))
        buttons.button(QDialogButtonBox.StandardButton.Cancel).setText(self.tr("Отмена"))
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(self.label)
        layout.addWidget(self.password)
        layout.addWidget(self.remember)
        layout.addWidget(self.note)
        layout.addWidget(buttons)
        self.setMinimumWidth(420)


class NewPassphraseDialog(QDialog):
    """An optional passphrase for the new signing key, typed twice."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(self.tr("Пароль нового ключа"))
        intro = QLabel(
            self.tr(
                "Новый ключ можно защитить паролем: тогда без пароля никто не подпишет пакет "
                "от имени школы. Пароль спрашивается при каждом формировании пакета и нигде не "
                "сохраняется — забытый пароль восстановить нельзя, придётся снова менять ключ. "
                "Оставьте поля пустыми, чтобы ключ был без пароля."
            )
        )
        intro.setWordWrap(True)
        self.first = QLineEdit()
        self.first.setEchoMode(QLineEdit.EchoMode.Password)
        self.second = QLineEdit()
        self.second.setEchoMode(QLineEdit.EchoMode.Password)
        form = QFormLayout()
        first_label = QLabel(self.tr("&Пароль:"))
        first_label.setBuddy(self.first)
        second_label = QLabel(self.tr("П&овторите:"))
        second_label.setBuddy(self.second)
        form.addRow(first_label, self.first)
        form.addRow(second_label, self.second)
        self.error = QLabel()
        self.error.setStyleSheet(ERROR_STYLE)
        self.error.hide()
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        buttons.button(QDialogButtonBox.StandardButton.Ok).setText(self.tr("Сменить ключ"))
        buttons.button(QDialogButtonBox.StandardButton.Cancel).setText(self.tr("Отмена"))
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addLayout(form)
        layout.addWidget(self.error)
        layout.addWidget(buttons)
        self.setMinimumWidth(460)

    def passphrase(self) -> str | None:
        return self.first.text() or None

    def accept(self) -> None:
        if self.first.text() != self.second.text():
            self.error.setText(self.tr("Пароли не совпадают. Введите их ещё раз."))
            self.error.show()
            self.second.clear()
            self.second.setFocus()
            return
        super().accept()


def passphrase_dialog(parent: QWidget, wrong: bool) -> QInputDialog:
    """The signing key's passphrase prompt (a fresh dialog each time: nothing kept)."""
    dialog = QInputDialog(parent)
    dialog.setWindowTitle(parent.tr("Пароль ключа подписи"))
    dialog.setInputMode(QInputDialog.InputMode.TextInput)
    dialog.setTextEchoMode(QLineEdit.EchoMode.Password)
    text = parent.tr("Ключ подписи школы защищён паролем. Введите пароль ключа:")
    if wrong:
        text = parent.tr("Пароль не подошёл. Введите пароль ключа подписи ещё раз:")
    dialog.setLabelText(text)
    dialog.setOkButtonText(parent.tr("Продолжить"))
    dialog.setCancelButtonText(parent.tr("Отмена"))
    dialog.setMinimumWidth(440)
    return dialog
