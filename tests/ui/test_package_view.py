"""«Отчёт в регион» driven as the director does, over the demo center: make a package for a
period chosen in the widgets, a second one that replaces the first, write it to a folder and to a
full drive, mail it to a real SMTP server on 127.0.0.1, queue it while the server is down, load
the region's receipt, save the key card; a locked key asks its passphrase."""

from __future__ import annotations

import datetime as dt
import shutil
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import minisign  # type: ignore[import-untyped]
import pytest
from pypdf import PdfReader
from PySide6.QtCore import QDate, Qt
from PySide6.QtGui import QGuiApplication
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication, QDialog, QFileDialog, QInputDialog, QMessageBox

from core.errors import ReceiptError, ValidationError
from core.keys import key_fingerprint, key_history, known_public_keys, load_or_create_key
from core.keys import public_key_text as key_text
from core.package_verify import verify_package
from core.paths import DataLayout
from core.receipts import issue_receipt
from core.settings import Settings
from tests.conftest import fill_up
from tests.smtp_server import Authenticator, Recorder, free_port
from tests.ui.conftest import press, screenshot, type_text
from ui.main_window import PAGE_PACKAGES
from ui.messages import describe_error
from ui.package_model import COL_NUMBER, COL_PERIOD, COL_SHA256, COL_STATE, GREY
from ui.package_settings import MailPasswordDialog, NewPassphraseDialog, PackageSettingsDialog

pytestmark = pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS:UserWarning")
OPERATOR = "КГБУ «Региональный центр оценки качества образования»"
SENDER = "troickoe-school@example.ru"
REGION = "operator@region.example.ru"
LONG = 120_000


# --- fixtures ----------------------------------------------------------------------------------


@pytest.fixture(autouse=True)
def no_system_keyring() -> Iterator[None]:
    """The tests never touch the keyring of the machine they run on: keyring's own «no
    keyring» backend, as on most school PCs without one."""
    import keyring
    from keyring.backends import fail

    before = keyring.get_keyring()
    keyring.set_keyring(fail.Keyring())
    yield
    keyring.set_keyring(before)


@pytest.fixture(scope="session")
def demo_folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The demo center (3 camera-size photos) made once; each test works on its own copy."""
    from core.demo import fill_demo
    from main import open_center

    folder = tmp_path_factory.mktemp("demo") / "data"
    center = open_center(folder)
    checklist = center.checklist
    fill_demo(checklist, checklist.today(), photos=3, registers=center.registers)
    checklist.store.close()  # type: ignore[attr-defined]
    return folder


@pytest.fixture
def window(qtbot, open_window, demo_folder: Path, tmp_path: Path) -> Iterator[Any]:
    data = tmp_path / "data"
    shutil.copytree(demo_folder, data)
    opened = open_window(data)
    yield opened
    # pytest-qt closes the window before fixtures end: each test ends with its work done


class Questions(list):
    """The texts of the questions asked; answers to give, in order (then «Да»)."""

    def __init__(self) -> None:
        super().__init__()
        self.answers: list[QMessageBox.StandardButton] = []


@pytest.fixture
def questions(monkeypatch: pytest.MonkeyPatch) -> Questions:
    asked = Questions()

    def answer(_parent, _title, text, *args, **kwargs):
        asked.append(text)
        return asked.answers.pop(0) if asked.answers else QMessageBox.StandardButton.Yes

    monkeypatch.setattr(QMessageBox, "question", staticmethod(answer))
    return asked


# --- helpers -----------------------------------------------------------------------------------


def settle(qtbot, window) -> None:
    """Every worker delivered (a late delivery to a closed window would be lost)."""
    qtbot.waitUntil(lambda: window._runner.pending() == 0, timeout=LONG)


def open_page(qtbot, window):
    press(window, "Ctrl+9")
    assert window.pages.currentIndex() == PAGE_PACKAGES
    page = window.package_view
    assert page is not None and page.isVisible()
    settle(qtbot, window)
    return page


def wait_idle(qtbot, page) -> None:
    qtbot.waitUntil(lambda: not page.busy, timeout=LONG)
    qtbot.waitUntil(lambda: page._runner.pending() == 0, timeout=LONG)


def choose_quarter(page, year: int, quarter: int) -> None:
    page.quarter_radio.setChecked(True)
    page.year.setValue(year)
    page.quarter.setCurrentIndex(page.quarter.findData(quarter))


def make(qtbot, page, year: int = 2027, quarter: int = 2):
    before = {p.package_id for p in page.outbox.packages()}
    choose_quarter(page, year, quarter)
    page.make_button.click()
    wait_idle(qtbot, page)
    made = [p for p in page.outbox.packages() if p.package_id not in before]
    assert len(made) == 1, page.result.text()
    return made[0]


def row_of(page, package_id: str) -> int:
    for row in range(page.proxy.rowCount()):
        if page.proxy.index(row, 0).data(Qt.ItemDataRole.UserRole + 1).package_id == package_id:
            return row
    raise AssertionError(f"no row for {package_id}")


def cell(page, package_id: str, column: int, role=Qt.ItemDataRole.DisplayRole) -> Any:
    return page.proxy.index(row_of(page, package_id), column).data(role)


def state(page, package) -> str:
    return str(cell(page, package.package_id, COL_STATE))


def mail_settings(page, port: int, login: str = "") -> None:
    Settings(page._center.checklist.store).set_smtp(
        {
            "host": "127.0.0.1",
            "port": port,
            "security": "none",
            "login": login,
            "sender": SENDER,
            "recipients": [REGION],
            "timeout": 5,
        }
    )


def fill_settings_dialog(monkeypatch, fill: Callable[[PackageSettingsDialog], None]) -> list:
    """PackageSettingsDialog.exec as the user does it: fill in the widgets, press «Сохранить»
    (the dialog checks and may stay open); returns the dialogs shown."""
    shown: list[PackageSettingsDialog] = []

    def exec_(self) -> int:
        shown.append(self)
        self.show()
        fill(self)
        if self.isVisible():  # not closed by fill
            self.buttons.button(self.buttons.StandardButton.Ok).click()
        return int(self.result())

    monkeypatch.setattr(PackageSettingsDialog, "exec", exec_)
    return shown


# --- making ------------------------------------------------------------------------------------


def test_a_package_is_made_for_the_chosen_quarter_and_verifies(qtbot, window, warnings) -> None:
    page = open_page(qtbot, window)
    window.resize(1280, 800)
    assert page.empty_label.isVisible() and not page.details.isVisible()
    screenshot(window, "view-packages-empty.png")
    assert page.limit_label.text() == "Предел: до 20 МБ в файле"
    estimate = page.estimate_label.text()
    assert estimate.startswith("Примерно ") and "3 фото" in estimate, estimate
    assert "Больше всего весят: IMG_" in estimate
    package = make(qtbot, page, 2027, 2)

    assert not warnings
    assert package.period == "2027-Q2" and package.sequence == 1
    assert cell(page, package.package_id, COL_PERIOD) == "2 квартал 2027"
    assert cell(page, package.package_id, COL_NUMBER) == "1"
    assert state(page, package) == "подготовлен"
    sha = package.parts[0].sha256
    assert cell(page, package.package_id, COL_SHA256) == sha[:12] + "…"
    tooltip = cell(page, package.package_id, COL_STATE, Qt.ItemDataRole.ToolTipRole)
    assert sha in tooltip
    assert "сформирован" in page.result.text()
    files = page.outbox.files(package)
    assert files and all(path.is_file() for path in files)
    layout = DataLayout(page._layout.root)
    assert verify_package(files, known_public_keys(layout)).ok
    assert page.current_package().package_id == package.package_id
    assert sha in page.details.text()


def test_a_second_package_for_the_period_asks_and_replaces_the_first(
    qtbot, window, questions, warnings
) -> None:
    page = open_page(qtbot, window)
    first = make(qtbot, page)
    assert questions == []
    questions.answers.append(QMessageBox.StandardButton.No)
    choose_quarter(page, 2027, 2)
    page.make_button.click()
    wait_idle(qtbot, page)
    assert len(page.outbox.packages()) == 1  # «Нет»: nothing made
    assert "№ 1" in questions[0] and "№ 2" in questions[0]

    second = make(qtbot, page)
    assert len(questions) == 2 and "2 квартал 2027" in questions[1]
    assert second.sequence == 2 and second.supersedes == first.package_id
    assert cell(page, second.package_id, COL_NUMBER) == "2"
    assert "заменён пакетом № 2" in state(page, first)
    grey = cell(page, first.package_id, COL_PERIOD, Qt.ItemDataRole.ForegroundRole)
    assert grey is not None and grey.color().name() == GREY
    assert "заменён" not in state(page, second)
    # another quarter asks nothing
    other = make(qtbot, page, 2027, 3)
    assert other.sequence == 1 and len(questions) == 2
    assert not warnings


def test_readiness_on_a_date(qtbot, window) -> None:
    page = open_page(qtbot, window)
    today = dt.date.today()
    assert page.as_of.maximumDate() == QDate(today.year, today.month, today.day)
    page.date_radio.setChecked(True)
    assert not page.quarter.isEnabled() and page.as_of.isEnabled()
    page.as_of.setDate(QDate(2026, 8, 25))
    page.make_button.click()
    wait_idle(qtbot, page)
    (package,) = page.outbox.packages()
    assert package.period == "2026-08-25"
    assert cell(page, package.package_id, COL_PERIOD) == "на 25.08.2026"


def test_cancel_while_making_leaves_nothing(qtbot, window, warnings) -> None:
    page = open_page(qtbot, window)
    choose_quarter(page, 2027, 2)
    page.make_button.click()
    assert page.busy
    page._progress.canceled.emit()  # «Отмена» in the progress dialog
    wait_idle(qtbot, page)
    assert page.outbox.packages() == []
    assert page.model.rowCount() == 0
    outbox = page.outbox.folder
    leftovers = [p.name for p in outbox.iterdir() if p.name != ".lock"] if outbox.exists() else []
    assert leftovers == []
    assert page.result.text() == "Действие отменено."
    assert not warnings  # a cancel is no failure
    assert page.make_button.isEnabled()


def test_a_locked_key_asks_its_passphrase(qtbot, window, monkeypatch) -> None:
    layout = DataLayout(window._layout.root)
    load_or_create_key(layout, "Пароль-ключа-2027")
    page = open_page(qtbot, window)
    typed = iter(["неверный", "Пароль-ключа-2027"])
    prompts: list[str] = []

    def exec_(self) -> int:
        prompts.append(self.labelText())
        self.show()
        screenshot(self, f"package-passphrase-{len(prompts)}.png")
        self.setTextValue(next(typed))
        return int(QDialog.DialogCode.Accepted)

    monkeypatch.setattr(QInputDialog, "exec", exec_)
    package = make(qtbot, page)
    assert len(prompts) == 2
    assert "защищён паролем" in prompts[0] and "не подошёл" in prompts[1]
    assert verify_package(page.outbox.files(package), known_public_keys(layout)).ok
    assert "Пароль-ключа-2027" not in repr(vars(page))  # nothing kept


def test_a_passphrase_not_given_makes_nothing(qtbot, window, monkeypatch, warnings) -> None:
    load_or_create_key(DataLayout(window._layout.root), "секрет")
    page = open_page(qtbot, window)
    monkeypatch.setattr(QInputDialog, "exec", lambda self: int(QDialog.DialogCode.Rejected))
    choose_quarter(page, 2027, 2)
    page.make_button.click()
    wait_idle(qtbot, page)
    assert page.outbox.packages() == []
    assert page.result.text() == "Не сделано: нужен пароль ключа подписи."
    assert not warnings


# --- to a drive --------------------------------------------------------------------------------


def write_to(qtbot, page, monkeypatch, folder: Path, package) -> None:
    monkeypatch.setattr(
        QFileDialog, "getExistingDirectory", staticmethod(lambda *a, **k: str(folder))
    )
    page.select_package(package.package_id)
    page.write_button.click()
    wait_idle(qtbot, page)


def test_writing_to_a_folder(qtbot, window, monkeypatch, tmp_path, warnings) -> None:
    page = open_page(qtbot, window)
    package = make(qtbot, page)
    stick = tmp_path / "флешка"
    stick.mkdir()
    write_to(qtbot, page, monkeypatch, stick, package)
    assert not warnings, warnings
    assert state(page, package) == "записан на носитель"
    for part in package.parts:
        assert (stick / part.file_name).is_file()
    assert str(stick) in page.result.text() and "проверены" in page.result.text()
    copied = [stick / part.file_name for part in package.parts]
    assert verify_package(copied, known_public_keys(DataLayout(page._layout.root))).ok


def test_a_full_stick_gives_a_russian_message_and_keeps_the_package(
    qtbot, window, monkeypatch, tiny_disk, warnings
) -> None:
    page = open_page(qtbot, window)
    package = make(qtbot, page)
    fill_up(tiny_disk, leave=64 * 1024)
    write_to(qtbot, page, monkeypatch, tiny_disk, package)
    assert warnings and "закончилось место" in warnings[-1]
    assert "закончилось место" in page.result.text()
    assert state(page, package) == "подготовлен"
    assert all(path.is_file() for path in page.outbox.files(package))
    assert [p.name for p in tiny_disk.iterdir()] == ["filler"]  # no half-written part
    assert window.isVisible() and page.write_button.isEnabled()


# --- by e-mail ---------------------------------------------------------------------------------


def test_settings_dialog_names_what_is_wrong(qtbot) -> None:
    operator = minisign.KeyPair.generate()
    dialog = PackageSettingsDialog(20_000_000, None, [], keyring=False)
    qtbot.addWidget(dialog)
    dialog.show()
    dialog.max_size.setValue(15)
    type_text(dialog.host, "smtp.yandex.ru")
    dialog.security.setCurrentIndex(dialog.security.findData("starttls"))
    assert dialog.port.value() == 587  # the default port follows the security
    dialog.security.setCurrentIndex(dialog.security.findData("none"))
    assert dialog.port.value() == 25 and dialog.clear_text_warning.isVisible()
    dialog.security.setCurrentIndex(dialog.security.findData("ssl"))
    assert dialog.port.value() == 465 and not dialog.clear_text_warning.isVisible()
    type_text(dialog.login, SENDER)
    type_text(dialog.sender_address, "школа@")  # not an address
    type_text(dialog.recipients, REGION)
    dialog.operator_keys.setPlainText(key_text(operator.public_key) + "\nэто не ключ\n")
    ok = dialog.buttons.button(dialog.buttons.StandardButton.Ok)

    ok.click()
    assert dialog.result() != QDialog.DialogCode.Accepted and dialog.isVisible()
    assert dialog.error.text() == describe_error(
        ValidationError("smtp_sender", "bad_email", "школа@")
    )
    assert dialog.focusWidget() is dialog.sender_address
    dialog.sender_address.setText(SENDER)  # put right: now the bad key line is named
    ok.click()
    assert dialog.result() != QDialog.DialogCode.Accepted
    assert dialog.error.text().startswith("Ключи регионального оператора: ")
    assert "«строка 4»" in dialog.error.text()  # the bad line, after a blank one, is named
    screenshot(dialog, "package-settings-error.png")
    dialog.operator_keys.setPlainText(
        "\n".join(key_text(operator.public_key).splitlines()[1:])  # the bare RW… line
    )
    ok.click()
    assert dialog.result() == QDialog.DialogCode.Accepted
    chosen = dialog.settings()
    assert chosen is not None
    assert chosen.max_size == 15_000_000
    assert (
        chosen.smtp is not None
        and chosen.smtp.port == 465
        and chosen.smtp.host == ("smtp.yandex.ru")
    )
    assert chosen.smtp.recipients == (REGION,)
    assert chosen.operator_keys == (key_text(operator.public_key),)
    assert chosen.password == "" and not chosen.remember


def test_settings_dialog_as_it_opens(qtbot) -> None:
    dialog = PackageSettingsDialog(
        20_000_000,
        {
            "host": "smtp.yandex.ru",
            "port": 465,
            "security": "ssl",
            "login": SENDER,
            "sender": SENDER,
            "recipients": [REGION],
        },
        [key_text(minisign.KeyPair.generate().public_key)],
        keyring=True,
    )
    qtbot.addWidget(dialog)
    dialog.show()
    assert dialog.password.isVisible() and dialog.remember.isVisible()
    screenshot(dialog, "package-settings.png")
    QTest.keyClick(dialog, Qt.Key.Key_Escape)
    assert dialog.result() == QDialog.DialogCode.Rejected and dialog.settings() is None


def test_settings_saved_through_the_page(qtbot, window, monkeypatch) -> None:
    page = open_page(qtbot, window)

    def fill(dialog: PackageSettingsDialog) -> None:
        dialog.max_size.setValue(12.5)
        type_text(dialog.host, "smtp.mail.ru")
        type_text(dialog.sender_address, SENDER)
        type_text(dialog.recipients, f"{REGION}; copy@region.example.ru")
        # no keyring on this machine: no password field, the user is told it will be asked
        assert not dialog.password.isVisible() and not dialog.remember.isVisible()
        assert "при каждой отправке" in dialog.password_hint.text()

    fill_settings_dialog(monkeypatch, fill)
    page.settings_button.click()
    settle(qtbot, window)
    settings = Settings(page._center.checklist.store)
    assert settings.max_size() == 12_500_000
    assert settings.smtp()["recipients"] == [REGION, "copy@region.example.ru"]
    assert page.limit_label.text() == "Предел: до 12,5 МБ в файле"
    assert page.result.text() == "Настройки отправки сохранены."


def test_sending_by_mail_one_message_per_part(qtbot, window, serve, monkeypatch, warnings) -> None:
    recorder = Recorder()
    authenticator = Authenticator(SENDER, "Пароль-почты")
    port = serve(recorder, authenticator=authenticator, auth_required=True, auth_require_tls=False)
    page = open_page(qtbot, window)
    Settings(page._center.checklist.store).set_max_size(2_000_000)  # more than one part
    page.refresh()
    settle(qtbot, window)
    assert page.limit_label.text() == "Предел: до 2 МБ в файле"
    assert "фотографии будут уменьшены" in page.estimate_label.text()
    mail_settings(page, port, login=SENDER)
    package = make(qtbot, page)
    asked: list[str] = []

    def exec_(self) -> int:
        asked.append(self.label.text())
        assert not self.remember.isVisible()  # no keyring here
        self.show()
        screenshot(self, "package-mail-password.png")
        self.password.setText("Пароль-почты")
        return int(QDialog.DialogCode.Accepted)

    monkeypatch.setattr(MailPasswordDialog, "exec", exec_)
    page.select_package(package.package_id)
    page.send_button.click()
    wait_idle(qtbot, page)

    assert not warnings, warnings
    assert asked and SENDER in asked[0]
    assert state(page, package) == "отправлен по почте"
    assert len(recorder.messages) == len(package.parts)
    assert [m["X-Tochka-Part"] for m in recorder.messages] == [
        f"{n}/{len(package.parts)}" for n in range(1, len(package.parts) + 1)
    ]
    assert all(m["X-Tochka-Package-Id"] == package.package_id for m in recorder.messages)
    assert REGION in page.result.text()
    assert not page.send_button.isEnabled()  # sent: nothing to send again


def test_a_wrong_password_is_said_in_russian(qtbot, window, serve, monkeypatch, warnings) -> None:
    port = serve(
        Recorder(),
        authenticator=Authenticator(SENDER, "верный"),
        auth_required=True,
        auth_require_tls=False,
    )
    page = open_page(qtbot, window)
    mail_settings(page, port, login=SENDER)
    package = make(qtbot, page)

    def exec_(self) -> int:
        self.password.setText("неверный")
        return int(QDialog.DialogCode.Accepted)

    monkeypatch.setattr(MailPasswordDialog, "exec", exec_)
    page.select_package(package.package_id)
    page.send_button.click()
    wait_idle(qtbot, page)
    assert warnings and "не принял логин или пароль" in warnings[-1]
    assert "не принял логин или пароль" in page.result.text()
    assert "подготовлен" in state(page, package)


def test_no_mail_settings_offers_them(qtbot, window, questions, monkeypatch) -> None:
    page = open_page(qtbot, window)
    package = make(qtbot, page)
    opened = fill_settings_dialog(monkeypatch, lambda dialog: dialog.reject())
    page.select_package(package.package_id)
    page.send_button.click()
    assert questions and "Почта не настроена" in questions[-1]
    assert opened  # «Да» opened the settings
    settle(qtbot, window)


def test_queued_while_the_server_is_down_then_sent(qtbot, window, serve, warnings) -> None:
    page = open_page(qtbot, window)
    port = free_port()  # nobody listens there yet
    mail_settings(page, port)
    package = make(qtbot, page)
    page.select_package(package.package_id)
    page.queue_button.click()  # queued, and tried at once
    settle(qtbot, window)
    text = state(page, package)
    assert text.startswith("в очереди на отправку, попытка 1, следующая в "), text
    assert ": не удалось связаться с почтовым сервером" in text
    assert "попробует ещё раз" in page.result.text()
    assert page.queue_button.text() == "Убрать из о&череди на отправку"
    assert not warnings  # the timer path shows no dialogs
    record = page.outbox.get(package.package_id)
    assert record.send_queued and record.send_attempts == 1 and record.next_attempt_at

    page.send_due()  # not due yet: nothing tried
    settle(qtbot, window)
    assert page.outbox.get(package.package_id).send_attempts == 1

    recorder = Recorder()
    serve(recorder, port=port)
    page.outbox.schedule_retry(record, 0)  # the back-off is over
    page.timer.timeout.emit()
    settle(qtbot, window)
    assert state(page, package) == "отправлен по почте"
    assert len(recorder.messages) == len(package.parts)
    assert "отправлен из очереди" in page.result.text()
    assert not page.outbox.get(package.package_id).send_queued
    assert not warnings


def test_a_permanent_error_takes_the_package_out_of_the_queue(
    qtbot, window, serve, warnings
) -> None:
    recorder = Recorder()
    recorder.refused_rcpt[REGION] = "550 5.1.1 No such user"
    port = serve(recorder)
    page = open_page(qtbot, window)
    mail_settings(page, port)
    package = make(qtbot, page)
    page.select_package(package.package_id)
    page.queue_button.click()
    settle(qtbot, window)
    record = page.outbox.get(package.package_id)
    assert not record.send_queued and record.sent_at is None
    assert "убран из очереди" in page.result.text()
    assert "отказался доставить" in page.result.text()
    assert "отправка не удалась" in state(page, package)
    assert not warnings
    page.timer.timeout.emit()  # said once: the next round has nothing to say
    settle(qtbot, window)
    assert page.outbox.get(package.package_id).send_attempts == 1


# --- receipts ----------------------------------------------------------------------------------


def receipt_for(page, package, key: Any, out: Path, status: str = "accepted") -> Path:
    issue_receipt(
        page.outbox.files(package),
        key,
        operator=OPERATOR,
        status=status,
        comment="" if status == "accepted" else "Нет фото зоны коворкинга",
        out=out,
    )
    return out


def load_receipt(qtbot, page, monkeypatch, path: Path) -> None:
    monkeypatch.setattr(
        QFileDialog, "getOpenFileName", staticmethod(lambda *a, **k: (str(path), ""))
    )
    page.receipt_button.click()
    wait_idle(qtbot, page)


def test_a_receipt_from_the_trusted_operator_confirms(
    qtbot, window, monkeypatch, tmp_path, warnings
) -> None:
    operator = minisign.KeyPair.generate()
    page = open_page(qtbot, window)
    Settings(page._center.checklist.store).set_operator_keys([key_text(operator.public_key)])
    package = make(qtbot, page)
    receipt = receipt_for(page, package, operator.secret_key, tmp_path / "квитанция.zip")
    load_receipt(qtbot, page, monkeypatch, receipt)
    assert not warnings, warnings
    assert state(page, package) == "подтверждён регионом"
    assert "подтверждён регионом" in page.result.text()

    other = make(qtbot, page, 2027, 3)
    rejected = receipt_for(page, other, operator.secret_key, tmp_path / "r2.zip", "rejected")
    load_receipt(qtbot, page, monkeypatch, rejected)
    assert state(page, other) == "отклонён регионом; Нет фото зоны коворкинга"


def test_an_untrusted_receipt_is_refused_in_russian(
    qtbot, window, monkeypatch, tmp_path, warnings
) -> None:
    trusted, stranger = minisign.KeyPair.generate(), minisign.KeyPair.generate()
    page = open_page(qtbot, window)
    Settings(page._center.checklist.store).set_operator_keys([key_text(trusted.public_key)])
    package = make(qtbot, page)
    forged = receipt_for(page, package, stranger.secret_key, tmp_path / "квитанция.zip")
    load_receipt(qtbot, page, monkeypatch, forged)
    expected = describe_error(ReceiptError(forged, "untrusted_key", "x")).split("(")[0]
    assert warnings and warnings[-1].startswith(expected)
    assert "неизвестным ключом" in warnings[-1]
    assert state(page, package) == "подготовлен"
    assert window.isVisible()


def test_no_operator_key_points_to_the_settings(qtbot, window, questions, monkeypatch) -> None:
    page = open_page(qtbot, window)
    opened = fill_settings_dialog(monkeypatch, lambda dialog: dialog.reject())
    picked: list[str] = []
    monkeypatch.setattr(
        QFileDialog, "getOpenFileName", staticmethod(lambda *a, **k: picked.append("x"))
    )
    page.receipt_button.click()
    assert questions and "ключ регионального оператора" in questions[-1]
    assert "Настройки отправки" in questions[-1]
    assert opened and not picked
    settle(qtbot, window)


# --- the signing key ---------------------------------------------------------------------------


def test_key_card_is_saved_with_the_fingerprint(
    qtbot, window, monkeypatch, tmp_path, warnings
) -> None:
    page = open_page(qtbot, window)
    assert "Ключа ещё нет" in page.key_label.text()
    out = tmp_path / "карточка"
    monkeypatch.setattr(
        QFileDialog, "getSaveFileName", staticmethod(lambda *a, **k: (str(out), ""))
    )
    page.card_button.click()
    wait_idle(qtbot, page)
    assert not warnings, warnings
    pdf = out.with_name("карточка.pdf")
    assert pdf.is_file()
    (current,) = key_history(DataLayout(page._layout.root))
    fingerprint = key_fingerprint(current.public)
    text = "".join(PdfReader(pdf).pages[0].extract_text().split())
    assert "".join(fingerprint.split()) in text
    assert current.key_id in page.key_label.text()
    assert page.fingerprint_label.text().split() == fingerprint.split()
    assert fingerprint in page.result.text()


def test_saving_the_public_key_and_replacing_the_key(
    qtbot, window, monkeypatch, tmp_path, questions
) -> None:
    page = open_page(qtbot, window)
    first = make(qtbot, page)
    old_id = first.key_id
    pub = tmp_path / "school.pub"
    monkeypatch.setattr(
        QFileDialog, "getSaveFileName", staticmethod(lambda *a, **k: (str(pub), ""))
    )
    page.pubkey_button.click()
    wait_idle(qtbot, page)
    assert old_id in pub.read_text(encoding="ascii")

    monkeypatch.setattr(NewPassphraseDialog, "exec", lambda self: int(QDialog.DialogCode.Accepted))
    questions.answers += [
        QMessageBox.StandardButton.Yes,  # replace the key
        QMessageBox.StandardButton.No,  # the card later
    ]
    page.rotate_button.click()
    wait_idle(qtbot, page)
    assert "по-прежнему проверяются" in questions[0]
    history = key_history(DataLayout(page._layout.root))
    assert history[0].current and history[0].key_id != old_id
    assert history[1].key_id == old_id
    assert history[0].key_id in page.key_label.text()
    assert old_id in page.key_history_label.text()
    # the earlier package still verifies with the kept public key
    assert verify_package(page.outbox.files(first), known_public_keys(page._layout)).ok


# --- the table ---------------------------------------------------------------------------------


def test_keyboard_and_copy_with_full_hashes(qtbot, window) -> None:
    page = open_page(qtbot, window)
    first = make(qtbot, page, 2027, 1)
    choose_quarter(page, 2027, 2)
    window.activateWindow()  # the progress dialog of the first package had it
    qtbot.waitUntil(lambda: QApplication.activeWindow() is window)
    page.year.setFocus()
    press(page.year, "Ctrl+Shift+N")  # «Сформировать пакет» from the keyboard
    qtbot.waitUntil(lambda: page.busy, timeout=5000)
    wait_idle(qtbot, page)
    (second,) = [p for p in page.outbox.packages() if p.period == "2027-Q2"]
    page.table.setFocus()
    page.table.setCurrentIndex(page.proxy.index(0, 0))
    QTest.keyClick(page.table, Qt.Key.Key_Down)
    assert page.current_package().package_id == first.package_id
    QTest.keyClick(page.table, Qt.Key.Key_Up, Qt.KeyboardModifier.ShiftModifier)
    assert {p.package_id for p in page.selected_packages()} == {
        first.package_id,
        second.package_id,
    }
    press(page.table, "Ctrl+C")
    copied = QGuiApplication.clipboard().text()
    for package in (first, second):
        for part in package.parts:
            assert part.sha256 in copied
    assert copied.splitlines()[0].startswith("Период\t№\tСоздан")


def test_the_page_with_packages_in_different_states(
    qtbot, window, monkeypatch, tmp_path, serve, questions
) -> None:
    """To look at: a prepared, a written, a sent, a confirmed, a queued and a replaced one."""
    operator = minisign.KeyPair.generate()
    page = open_page(qtbot, window)
    Settings(page._center.checklist.store).set_operator_keys([key_text(operator.public_key)])
    replaced = make(qtbot, page, 2027, 1)
    make(qtbot, page, 2027, 1)
    written = make(qtbot, page, 2027, 2)
    stick = tmp_path / "stick"
    stick.mkdir()
    write_to(qtbot, page, monkeypatch, stick, written)
    confirmed = make(qtbot, page, 2027, 3)
    port = serve(Recorder())
    mail_settings(page, port)
    page.select_package(confirmed.package_id)
    page.send_button.click()
    wait_idle(qtbot, page)
    load_receipt(
        qtbot, page, monkeypatch, receipt_for(page, confirmed, operator.secret_key, tmp_path / "r")
    )
    queued = make(qtbot, page, 2027, 4)
    mail_settings(page, free_port())
    page.select_package(queued.package_id)
    page.queue_button.click()
    settle(qtbot, window)
    page.date_radio.setChecked(True)
    page.as_of.setDate(QDate(2026, 8, 25))
    page.make_button.click()
    wait_idle(qtbot, page)
    (sent,) = [p for p in page.outbox.packages() if p.period == "2026-08-25"]
    mail_settings(page, port)
    page.select_package(sent.package_id)
    page.send_button.click()
    wait_idle(qtbot, page)
    assert state(page, sent) == "отправлен по почте"
    page.select_package(queued.package_id)
    assert "заменён пакетом № 2" in state(page, replaced)
    window.resize(1280, 800)
    qtbot.wait(50)
    path = screenshot(window, "view-packages.png")
    assert path.is_file()
    assert page.table.horizontalHeader().length() <= page.table.viewport().width() + 2


def test_the_main_window_starts_without_signing_or_mail_libraries() -> None:
    """The page and what it needs load when it is first opened, not at start."""
    code = (
        "import sys; import ui.app, ui.main_window;"
        "print('HEAVY', [m for m in ('minisign', 'keyring', 'bagit', 'reportlab', 'smtplib',"
        " 'ui.package_view') if m in sys.modules])"
    )
    result = subprocess.run(
        [sys.executable, "-c", code],
        cwd=Path(__file__).resolve().parents[2],
        capture_output=True,
        text=True,
        check=True,
    )
    assert "HEAVY []" in result.stdout


def test_a_package_queued_in_an_earlier_session_goes_out_at_start(
    qtbot, open_window, demo_folder: Path, tmp_path: Path, serve, warnings
) -> None:
    """Queued «когда появится сеть», the program closed: at the next start it is sent without
    the director opening «Отчёт в регион»."""
    from core.outbox import Outbox
    from main import open_center

    data = tmp_path / "data"
    shutil.copytree(demo_folder, data)
    center = open_center(data)
    assert center.outbox_store is not None
    outbox = Outbox(center, center.outbox_store, DataLayout(data))
    package = outbox.queue_send(outbox.make("2027-Q2", workers=1))
    recorder = Recorder()
    port = serve(recorder)
    Settings(center.checklist.store).set_smtp(
        {"host": "127.0.0.1", "port": port, "security": "none", "login": "",
         "sender": SENDER, "recipients": [REGION], "timeout": 5}
    )  # fmt: skip
    center.checklist.store.close()  # type: ignore[attr-defined]

    window = open_window(data)
    assert window.pages.currentIndex() != PAGE_PACKAGES
    qtbot.waitUntil(lambda: len(recorder.messages) == len(package.parts), timeout=LONG)
    settle(qtbot, window)
    assert window.package_view.outbox.get(package.package_id).sent_at is not None
    assert not warnings
