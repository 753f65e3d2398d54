"""Entry point: parses the command line, opens storage, starts the GUI or a subcommand.
The one module that knows core/, storage/ and ui/ and wires them together."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from core.checklist import Checklist
from core.errors import TochkaError
from core.evidence import EvidenceFolder
from core.paths import DataLayout, resolve_data_dir
from core.registers import Center, Registers

if TYPE_CHECKING:
    from core.backup import Backups
    from core.mail import SmtpSettings
    from core.outbox import Outbox
from core.template import load_default_template


def open_center(data_dir: Path) -> Center:
    """Open (creating and upgrading as needed) the data folder: checklist and registers."""
    from core.backup import recover_interrupted_restore
    from storage.backup_store import SqliteBackupDatabase
    from storage.db import open_database
    from storage.outbox_store import SqliteOutboxStore
    from storage.register_store import SqliteRegisterStore
    from storage.sqlite_store import SqliteChecklistStore

    layout = DataLayout(data_dir)
    recover_interrupted_restore(layout)  # a restore cut short by a power cut is undone first
    template = load_default_template()
    engine = open_database(layout.database, layout.backups)
    checklist = Checklist(
        SqliteChecklistStore(engine, layout.database), template, EvidenceFolder(layout.evidence)
    )
    registers = Registers(SqliteRegisterStore(engine, layout.database), checklist)
    return Center(
        checklist,
        registers,
        SqliteOutboxStore(engine, layout.database),
        SqliteBackupDatabase(),
    )


def open_checklist(data_dir: Path) -> Checklist:
    return open_center(data_dir).checklist


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="tochka-readiness" if getattr(sys, "frozen", False) else "main.py",
        description="Готовность центра «Точка роста». Без команды открывается окно программы.",
    )
    parser.add_argument(
        "--data-dir",
        metavar="DIR",
        help="папка данных (по умолчанию — папка пользователя или $TOCHKA_DATA_DIR)",
    )
    parser.add_argument(
        "--self-test",
        action="store_true",
        help="проверить, что программа работает на этом компьютере (во временной папке)",
    )
    sub = parser.add_subparsers(dest="command", metavar="КОМАНДА")
    demo = sub.add_parser("demo", help="заполнить пустую папку данных демонстрационным центром")
    demo.add_argument("--photos", type=int, default=40, help="сколько фото создать (40)")
    sub.add_parser("status", help="готовность по разделам, просрочки, дни до открытия")
    printing = sub.add_parser(
        "print", help="PDF: печатный чек-лист, отчёт о готовности, показатели"
    )
    printing.add_argument("document", choices=["checklist", "report", "indicators"])
    printing.add_argument("--quarter", metavar="ГГГГ-QN", help="квартал отчёта по показателям")
    printing.add_argument("--section", metavar="КОД", help="только раздел чек-листа (DOC, ZON…)")
    printing.add_argument("--room", metavar="N", help="только помещение с этим номером")
    printing.add_argument("--open-only", action="store_true", help="только невыполненные пункты")
    printing.add_argument("--out", required=True, metavar="FILE.pdf", help="куда сохранить")
    export = sub.add_parser("export-xlsx", help="книга Excel со всеми реестрами")
    export.add_argument("--out", required=True, metavar="FILE.xlsx", help="куда сохранить")
    package = sub.add_parser(
        "package", help="подписанный пакет отчёта для региона: в исходящие и в папку"
    )
    when = package.add_mutually_exclusive_group(required=True)
    when.add_argument("--period", metavar="ГГГГ-QN", help="квартал отчёта, например 2027-Q2")
    when.add_argument("--as-of", metavar="ГГГГ-ММ-ДД", help="готовность на дату")
    package.add_argument("--out", required=True, metavar="DIR", help="папка или флешка")
    package.add_argument("--max-size", metavar="20MB", help="предел размера одного файла")
    sub.add_parser("outbox", help="исходящие пакеты: номер, период, размер, состояние")
    verify = sub.add_parser("verify", help="проверить пакет: подпись, состав, report.json")
    verify.add_argument("parts", nargs="+", metavar="PACKAGE.zip", help="файл(ы) пакета")
    keys = verify.add_mutually_exclusive_group(required=True)
    keys.add_argument("--pubkey", metavar="KEY.pub", help="открытый ключ школы (minisign)")
    keys.add_argument("--keys", metavar="REGISTRY", help="реестр ключей: папка или файл")
    pubkey = sub.add_parser("pubkey", help="открытый ключ школы в формате minisign")
    pubkey.add_argument("--out", metavar="school.pub", help="сохранить в файл, а не печатать")
    card = sub.add_parser("key-card", help="«Карточка ключа» (PDF) для отправки в регион")
    card.add_argument("--out", required=True, metavar="FILE.pdf", help="куда сохранить")
    sub.add_parser("rotate-key", help="сменить ключ подписи (прежние пакеты проверяются)")
    mail = sub.add_parser("mail-settings", help="почта для отправки пакетов (SMTP)")
    mail.add_argument("--host", required=True, help="почтовый сервер, например smtp.yandex.ru")
    mail.add_argument("--port", type=int, help="порт (465 для SSL, 587 для STARTTLS)")
    mail.add_argument("--security", choices=["ssl", "starttls", "none"], default="ssl")
    mail.add_argument("--login", default="", help="логин (обычно адрес почты)")
    mail.add_argument("--from", dest="sender", required=True, help="адрес отправителя")
    mail.add_argument("--to", required=True, help="адрес(а) регионального оператора")
    mail.add_argument(
        "--save-password",
        action="store_true",
        help="запомнить пароль ($TOCHKA_SMTP_PASSWORD или ввод) в системном хранилище",
    )
    send = sub.add_parser("send", help="отправить пакеты из исходящих по почте")
    send.add_argument("packages", nargs="*", metavar="ID", help="идентификаторы (начало)")
    send.add_argument("--all", action="store_true", help="все ещё не отправленные")
    receipt = sub.add_parser("import-receipt", help="квитанция региона: пакет подтверждён")
    receipt.add_argument("receipt", metavar="RECEIPT.zip")
    trust = sub.add_parser("trust-operator-key", help="добавить ключ регионального оператора")
    trust.add_argument("key", metavar="operator.pub")
    backup = sub.add_parser("backup", help="резервная копия всех данных в папку или на флешку")
    backup.add_argument("--out", required=True, metavar="DIR", help="папка или флешка")
    restore = sub.add_parser("restore", help="восстановить данные из резервной копии")
    restore.add_argument("file", metavar="tochka-backup-….zip")
    restore.add_argument("--yes", action="store_true", help="без вопроса «Продолжить?»")
    issue = sub.add_parser("issue-receipt", help="(для региона) подписать квитанцию на пакет")
    issue.add_argument("parts", nargs="+", metavar="PACKAGE.zip")
    issue.add_argument("--key", required=True, metavar="operator.key", help="секретный ключ")
    issue.add_argument("--operator", required=True, help="кто принял (организация, ФИО)")
    issue.add_argument("--reject", metavar="ПРИЧИНА", help="отклонить с этой причиной")
    issue.add_argument("--out", required=True, metavar="RECEIPT.zip")
    return parser


# Russian names of the checks of core.package_verify
CHECK_NAMES = {
    "bad_archive": "архив повреждён или в нём не один пакет",
    "unsafe_archive": "небезопасный архив (абсолютный путь, «..», ссылка или слишком большой)",
    "not_a_bag": "не пакет BagIt",
    "signature": "подпись неверна",
    "unknown_key": "подписан неизвестным ключом",
    "manifest_mismatch": "файл изменён (контрольная сумма не совпадает)",
    "missing_file": "файл отсутствует",
    "extra_file": "лишний файл",
    "invalid_report": "report.json не соответствует схеме",
    "metadata": "сведения о пакете не совпадают с подписанными",
    "incomplete": "не все части пакета (или части разных пакетов)",
}
PACKAGE_STATUS = {
    "prepared": "подготовлен",
    "written": "записан на носитель",
    "sent": "отправлен по почте",
    "confirmed": "подтверждён регионом",
    "rejected": "отклонён регионом",
}


def key_passphrase() -> str | None:
    """The signing key's passphrase from $TOCHKA_KEY_PASSPHRASE, else none (an encrypted key
    then fails with a message that names the variable)."""
    import os

    if os.environ.get("TOCHKA_KEY_PASSPHRASE"):
        return os.environ["TOCHKA_KEY_PASSPHRASE"]
    return None


def open_outbox(center: Center, layout: DataLayout) -> Outbox:
    from core.outbox import Outbox

    assert center.outbox_store is not None
    outbox = Outbox(center, center.outbox_store, layout)
    outbox.recover()
    return outbox


def cmd_package(center: Center, layout: DataLayout, args: argparse.Namespace) -> int:
    from core.package import parse_size
    from core.settings import Settings
    from core.wording import format_size

    outbox = open_outbox(center, layout)
    settings = Settings(center.checklist.store)
    max_size = parse_size(args.max_size) if args.max_size else settings.max_size()
    out = Path(args.out).expanduser().resolve()
    if not out.is_dir():
        from core.errors import StorageError

        raise StorageError(out, "folder_missing")

    estimate = outbox.estimate(max_size)
    print(
        f"Примерно {format_size(estimate.total)}: фото {estimate.photo_count} "
        f"({format_size(estimate.photos)}), документов {estimate.document_count} "
        f"({format_size(estimate.documents)}); предел файла {format_size(max_size)}."
    )
    if estimate.heaviest:
        heaviest = ", ".join(f"{name} {format_size(size)}" for name, size in estimate.heaviest[:3])
        print(f"  Больше всего весят: {heaviest}.")
    if estimate.needs_shrinking:
        print("  Фото будут уменьшены; если и так не поместится — пакет разделится на части.")
    package = outbox.make(
        args.period or args.as_of,
        max_size=max_size,
        passphrase=key_passphrase(),
        progress=_percent if sys.stderr.isatty() else None,
    )
    written = outbox.write_to(package, out)
    print(f"Пакет № {package.sequence} за {package.period} сделан и записан в {out}:")
    for part, path in zip(package.parts, written, strict=True):
        print(f"  {path.name}  {format_size(part.size)}  SHA-256 {part.sha256}")
    if package.photo_step:
        print(f"  фотографии уменьшены до {package.photo_step}")
    if package.supersedes:
        print(f"  заменяет пакет {package.supersedes}")
    print(f"  идентификатор {package.package_id}, ключ подписи {package.key_id}")
    return 0


def cmd_outbox(center: Center, layout: DataLayout) -> int:
    from core.wording import format_datetime, format_size

    outbox = open_outbox(center, layout)
    packages = outbox.packages()
    if not packages:
        print("Исходящих пакетов нет.")
        return 0
    superseded = outbox.superseded_ids()
    for p in packages:
        note = " (заменён)" if p.package_id in superseded else ""
        print(
            f"{p.period} № {p.sequence}{note}: {PACKAGE_STATUS[p.status.value]}, "
            f"{format_datetime(p.created_at)}, {format_size(p.size)}, частей {len(p.parts)}, "
            f"{p.package_id}"
        )
        if p.last_error and p.sent_at is None:
            print(f"    не отправлен: {p.last_error} (попыток {p.send_attempts})")
        for part in p.parts:
            print(f"    {part.file_name}  SHA-256 {part.sha256}")
    return 0


def cmd_pubkey(layout: DataLayout, args: argparse.Namespace) -> int:
    from core.keys import export_public_key, load_or_create_key, public_key_text

    if args.out:
        out = Path(args.out).expanduser().resolve()
        key_id = export_public_key(layout, out, key_passphrase())
        print(f"Открытый ключ школы сохранён: {out} (идентификатор ключа {key_id})")
    else:
        print(public_key_text(load_or_create_key(layout, key_passphrase()).public), end="")
    return 0


def cmd_key_card(center: Center, layout: DataLayout, args: argparse.Namespace) -> int:
    from core.errors import DocumentError
    from core.key_card import write_school_key_card

    profile = center.checklist.profile()
    if profile is None:
        raise DocumentError("no_profile")
    out = Path(args.out).expanduser().resolve()
    key_id, fingerprint = write_school_key_card(profile, layout, out, passphrase=key_passphrase())
    print(f"Карточка ключа сохранена: {out}")
    print(f"  ключ {key_id}, отпечаток {fingerprint}")
    return 0


def cmd_rotate_key(layout: DataLayout) -> int:
    import os

    from core.keys import key_fingerprint, rotate_key

    key = rotate_key(layout, os.environ.get("TOCHKA_NEW_KEY_PASSPHRASE") or None)
    print(f"Новый ключ подписи {key.key_id}, отпечаток {key_fingerprint(key.public)}.")
    print("Прежние пакеты по-прежнему проверяются прежним ключом. Распечатайте новую карточку")
    print("ключа (key-card), подпишите, поставьте печать и отправьте региональному оператору.")
    return 0


def smtp_password(settings: SmtpSettings) -> str | None:
    """The SMTP password: the system keyring, else $TOCHKA_SMTP_PASSWORD, else asked."""
    import getpass
    import os

    from core.credentials import load_password

    key = settings.credential_key
    if not settings.login:
        return None
    stored = load_password(key)
    if stored:
        return stored
    if os.environ.get("TOCHKA_SMTP_PASSWORD"):
        return os.environ["TOCHKA_SMTP_PASSWORD"]
    if sys.stdin.isatty():
        return getpass.getpass(f"Пароль почты {key}: ")
    from core.errors import MailError

    raise MailError("no_password", key)


def cmd_mail_settings(center: Center, args: argparse.Namespace) -> int:
    from core.credentials import keyring_available, save_password
    from core.mail import DEFAULT_PORTS, SmtpSettings, parse_recipients
    from core.settings import Settings

    smtp = SmtpSettings(
        host=args.host.strip(),
        port=args.port or DEFAULT_PORTS[args.security],
        security=args.security,
        login=args.login.strip(),
        sender=args.sender.strip(),
        recipients=parse_recipients(args.to),
    )
    smtp.validate()
    Settings(center.checklist.store).set_smtp(smtp.to_dict())
    print(
        f"Почта настроена: {smtp.host}:{smtp.port} ({smtp.security}), получатели: "
        + ", ".join(smtp.recipients)
    )
    if args.save_password:
        import getpass
        import os

        password = os.environ.get("TOCHKA_SMTP_PASSWORD") or getpass.getpass("Пароль почты: ")
        if keyring_available() and save_password(smtp.credential_key, password):
            print("Пароль сохранён в системном хранилище паролей.")
        else:
            print("Системного хранилища паролей нет: пароль будет спрашиваться при отправке.")
    return 0


def cmd_send(center: Center, layout: DataLayout, args: argparse.Namespace) -> int:
    from core.errors import MailError
    from core.mail import SmtpSettings
    from core.settings import Settings

    stored = Settings(center.checklist.store).smtp()
    if stored is None:
        raise MailError("no_settings")
    smtp = SmtpSettings.from_dict(stored)
    outbox = open_outbox(center, layout)
    if args.all or not args.packages:
        packages = [p for p in outbox.packages() if p.sent_at is None]
    else:
        packages = [outbox.get(ident) for ident in args.packages]
    if not packages:
        print("Неотправленных пакетов нет.")
        return 0
    password = smtp_password(smtp)
    for package in reversed(packages):  # oldest first
        sent = outbox.send(package, smtp, password)
        print(
            f"Отправлен пакет № {sent.sequence} за {sent.period} ({len(sent.parts)} "
            f"писем) на {sent.sent_to}."
        )
    return 0


def cmd_import_receipt(center: Center, layout: DataLayout, args: argparse.Namespace) -> int:
    from core.receipts import load_trusted_keys
    from core.settings import Settings

    trusted = load_trusted_keys(Settings(center.checklist.store).operator_keys())
    package = open_outbox(center, layout).import_receipt(Path(args.receipt).expanduser(), trusted)
    print(
        f"Пакет № {package.sequence} за {package.period}: {PACKAGE_STATUS[package.status.value]}."
    )
    if package.receipt_comment:
        print(f"  Комментарий региона: {package.receipt_comment}")
    return 0


def cmd_trust_operator_key(center: Center, args: argparse.Namespace) -> int:
    from core.keys import key_id_of, load_public_key, public_key_text
    from core.settings import Settings

    public = load_public_key(Path(args.key).expanduser())
    settings = Settings(center.checklist.store)
    text = public_key_text(public)
    keys = [k for k in settings.operator_keys() if k.strip() != text.strip()]
    settings.set_operator_keys([*keys, text])
    print(f"Ключ регионального оператора {key_id_of(public)} добавлен в доверенные.")
    return 0


def cmd_issue_receipt(args: argparse.Namespace) -> int:
    import os

    from core.receipts import issue_receipt

    receipt = issue_receipt(
        [Path(p).expanduser() for p in args.parts],
        Path(args.key).expanduser(),
        operator=args.operator,
        status="rejected" if args.reject else "accepted",
        comment=args.reject or "",
        out=Path(args.out).expanduser(),
        passphrase=os.environ.get("TOCHKA_KEY_PASSPHRASE") or None,
    )
    print(f"Квитанция на пакет {receipt.package_id} ({receipt.status}) сохранена: {args.out}")
    return 0


def _percent(done: int, total: int) -> None:
    print(f"\r  готово {done * 100 // max(total, 1)} %", end="", file=sys.stderr, flush=True)


def open_backups(layout: DataLayout) -> Backups:
    from core.backup import Backups
    from storage.backup_store import SqliteBackupDatabase

    return Backups(layout, SqliteBackupDatabase())


def cmd_backup(layout: DataLayout, args: argparse.Namespace) -> int:
    from core.wording import format_size

    backups = open_backups(layout)
    info = backups.save(
        Path(args.out).expanduser().resolve(), progress=_percent if sys.stderr.isatty() else None
    )
    print(
        f"Резервная копия сохранена и проверена: {info.path} ({format_size(info.size)}, "
        f"файлов: {len(info.manifest.files)})."
    )
    return 0


def cmd_restore(layout: DataLayout, args: argparse.Namespace) -> int:
    from core.wording import format_datetime

    backups = open_backups(layout)
    path = Path(args.file).expanduser().resolve()
    manifest = backups.inspect(path)
    school = manifest.school_name or "школа не указана"
    inn = f", ИНН {manifest.inn}" if manifest.inn else ""
    print(f"Копия от {format_datetime(manifest.created_at)}: {school}{inn}.")
    if not args.yes:
        if not sys.stdin.isatty():
            print("Чтобы восстановить без вопроса, добавьте --yes.", file=sys.stderr)
            return 2
        answer = input(
            "Нынешние данные будут сохранены в папке backups и заменены данными копии. "
            "Продолжить? [д/Н] "
        )
        if answer.strip().lower() not in ("д", "да", "y", "yes"):
            print("Отменено, данные не изменены.")
            return 1
    result = backups.restore(path, progress=_percent if sys.stderr.isatty() else None)
    center = open_center(layout.root)  # opens it, and upgrades an older copy
    center.checklist.store.close()  # type: ignore[attr-defined]
    print(f"Данные восстановлены из копии от {format_datetime(manifest.created_at)}.")
    if result.safety_backup:
        print(f"Прежние данные сохранены в {result.safety_backup}.")
    return 0


def cmd_verify(args: argparse.Namespace) -> int:
    from core.keys import load_key_registry, load_public_key
    from core.package_verify import verify_package

    if args.pubkey:
        public = load_public_key(Path(args.pubkey).expanduser())
        result = verify_package([Path(p).expanduser() for p in args.parts], public)
    else:
        registry = load_key_registry(Path(args.keys).expanduser())
        result = verify_package([Path(p).expanduser() for p in args.parts], registry)
    if result.ok:
        info = result.bag_info
        print(
            f"Пакет проверен: подпись верна, состав полный ({result.parts} "
            f"част., {result.payload_files} файлов)."
        )
        print(f"  Школа: {info.get('Source-Organization', '')}, ИНН {info.get('School-INN', '')}")
        print(f"  Период: {info.get('Reporting-Period', '')}, номер {info.get('Sequence-Number')}")
        print(f"  Ключ подписи: {result.signer_key_id}")
        print(f"  Подписано: {result.trusted_comment}")
        return 0
    print(f"Пакет НЕ прошёл проверку ({len(result.failures)}):", file=sys.stderr)
    for failure in result.failures:
        where = " — ".join(x for x in (failure.part, failure.file) if x)
        where = f" — {where}" if where else ""
        detail = f" ({failure.detail})" if failure.detail else ""
        name = CHECK_NAMES.get(failure.check, failure.check)
        print(f"  [{failure.check}] {name}{where}{detail}", file=sys.stderr)
    return 3


def cmd_document(center: Center, layout: DataLayout, args: argparse.Namespace) -> int:
    from core.documents import DocumentKind, DocumentOptions, make_document, parse_quarter

    out = Path(args.out).expanduser().resolve()
    if args.command == "export-xlsx":
        make_document(center, DocumentKind.WORKBOOK, out, layout=layout)
        print(f"Книга Excel сохранена: {out}")
        return 0
    year, quarter = parse_quarter(args.quarter) if args.quarter else (None, None)
    options = DocumentOptions(
        only_open=args.open_only, section=args.section, room=args.room, year=year, quarter=quarter
    )
    pages = make_document(center, DocumentKind(args.document), out, options, layout=layout)
    print(f"PDF сохранён: {out} (страниц: {pages})")
    return 0


def cmd_status(center: Center) -> int:
    from core.wording import days_phrase, format_date, format_number, plural

    checklist = center.checklist
    profile = checklist.profile()
    readiness = checklist.readiness()
    template = checklist.template
    if profile is None:
        print("Профиль центра не заполнен: запустите программу и заполните его.")
    else:
        print(f"Центр «Точка роста» — {profile.school_short_name}")
    print(f"Шаблон: {template.title}, версия {template.version}")
    print(
        f"Готовность на {format_date(readiness.today)}: {readiness.percent:.0f}% "
        f"({readiness.done} из {readiness.applicable} "
        f"{plural(readiness.applicable, 'пункта', 'пунктов', 'пунктов')})"
    )
    width = max(len(s.title) for s in readiness.sections)
    for s in readiness.sections:
        overdue = f"  просрочено: {s.overdue}" if s.overdue else ""
        print(f"  {s.title:<{width}}  {s.done:>3}/{s.applicable:<3} {s.percent:4.0f}%{overdue}")
    print(f"Просрочено пунктов: {len(readiness.overdue_codes)}")
    if profile is not None and readiness.days_until_opening is not None:
        days = readiness.days_until_opening
        opening = format_date(profile.opening_date)
        if days > 0:
            print(f"До открытия Центра ({opening}): {days_phrase(days)}")
        elif days == 0:
            print(f"Открытие Центра сегодня ({opening})")
        else:
            print(f"Центр открыт {opening} ({days_phrase(-days)} назад)")
    summary = center.registers.summary(readiness.today)
    print(
        f"Оборудование: план {summary.planned}, поставлено {summary.delivered}, "
        f"установлено {summary.installed}, введено в эксплуатацию {summary.in_use}; "
        f"расхождений: {summary.discrepancies}"
    )
    print(f"Помещения готовы: {summary.rooms_ready} из {summary.rooms_total}")
    print(f"Фирменный стиль: готово {summary.brand_done} из {summary.brand_total} элементов")
    print(f"Дорожная карта: просрочено {summary.roadmap_overdue} из {summary.roadmap_total}")
    if summary.indicators:
        print(f"Показатели {summary.indicators[0].year} г. (последний квартал к цели года):")
    for row in summary.indicators:
        latest = row.latest
        progress = (
            f"{format_number(latest.value)} из {format_number(row.target)} "
            f"{row.indicator.unit} ({row.percent:.0f}%)"
            if latest is not None and row.percent is not None
            else f"нет данных (цель {format_number(row.target)} {row.indicator.unit})"
        )
        name = (
            row.indicator.name if len(row.indicator.name) <= 70 else row.indicator.name[:69] + "…"
        )
        print(f"  {row.indicator.code} {name}: {progress}")
    return 0


def cmd_demo(center: Center, photos: int) -> int:
    from core.demo import fill_demo

    interactive = sys.stdout.isatty()

    def progress(done: int, total: int) -> None:
        if interactive or done == total:
            print(f"\rЗаполнение демонстрационного центра: {done}/{total}", end="", flush=True)

    checklist = center.checklist
    fill_demo(
        checklist, checklist.today(), photos=photos, progress=progress, registers=center.registers
    )
    print()
    return cmd_status(center)


def main(argv: Sequence[str] | None = None) -> int:
    for stream in (sys.stdout, sys.stderr):
        reconfigure = getattr(stream, "reconfigure", None)
        if reconfigure is not None:
            reconfigure(errors="replace")
    args = build_parser().parse_args(argv)
    if args.self_test:
        from core.self_test import run_self_test

        results = run_self_test(open_center)
        failed = [r for r in results if not r.ok]
        print(f"Самопроверка: {len(results) - len(failed)} из {len(results)} проверок пройдены.")
        return 1 if failed or not results else 0
    data_dir = resolve_data_dir(args.data_dir)
    if args.command is None:
        import os

        from core.paths import DATA_DIR_ENV
        from storage.backup_store import backup_on_exit
        from ui.app import run_gui

        chosen = bool(args.data_dir or os.environ.get(DATA_DIR_ENV))
        return run_gui(
            data_dir,
            open_center,
            at_exit=lambda d: backup_on_exit(DataLayout(d)),
            data_dir_chosen=chosen,
        )
    try:
        if args.command == "verify":
            return cmd_verify(args)
        if args.command == "pubkey":
            return cmd_pubkey(DataLayout(data_dir), args)
        if args.command == "rotate-key":
            return cmd_rotate_key(DataLayout(data_dir))
        if args.command == "issue-receipt":
            return cmd_issue_receipt(args)
        if args.command == "backup":
            return cmd_backup(DataLayout(data_dir), args)
        if args.command == "restore":
            return cmd_restore(DataLayout(data_dir), args)
        center = open_center(data_dir)
        if args.command == "status":
            return cmd_status(center)
        if args.command == "demo":
            return cmd_demo(center, args.photos)
        if args.command in ("print", "export-xlsx"):
            return cmd_document(center, DataLayout(data_dir), args)
        if args.command == "package":
            return cmd_package(center, DataLayout(data_dir), args)
        if args.command == "outbox":
            return cmd_outbox(center, DataLayout(data_dir))
        if args.command == "key-card":
            return cmd_key_card(center, DataLayout(data_dir), args)
        if args.command == "mail-settings":
            return cmd_mail_settings(center, args)
        if args.command == "send":
            return cmd_send(center, DataLayout(data_dir), args)
        if args.command == "import-receipt":
            return cmd_import_receipt(center, DataLayout(data_dir), args)
        if args.command == "trust-operator-key":
            return cmd_trust_operator_key(center, args)
    except TochkaError as exc:
        from core.demo import DemoRefused
        from ui.messages import describe_error

        if isinstance(exc, DemoRefused):
            print(
                f"В папке данных {data_dir} уже есть центр: демонстрация не перезаписывает "
                "данные. Укажите пустую папку: --data-dir ПАПКА.",
                file=sys.stderr,
            )
        else:
            print(describe_error(exc), file=sys.stderr)
        return 2
    return 1


if __name__ == "__main__":
    # photo workers of a package are separate processes: a frozen (PyInstaller) build needs this
    import multiprocessing

    multiprocessing.freeze_support()
    sys.exit(main())
