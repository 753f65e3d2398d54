"""Entry point: parses the command line, opens storage, starts the GUI or a subcommand.
The one module that knows core/, storage/ and ui/ and wires them together."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from core.checklist import Checklist
from core.errors import TochkaError
from core.evidence import EvidenceFolder
from core.paths import DataLayout, resolve_data_dir
from core.registers import Center, Registers
from core.template import load_default_template


def open_center(data_dir: Path) -> Center:
    """Open (creating and upgrading as needed) the data folder: checklist and registers."""
    from storage.db import open_database
    from storage.register_store import SqliteRegisterStore
    from storage.sqlite_store import SqliteChecklistStore

    layout = DataLayout(data_dir)
    template = load_default_template()
    engine = open_database(layout.database, layout.backups)
    checklist = Checklist(
        SqliteChecklistStore(engine, layout.database), template, EvidenceFolder(layout.evidence)
    )
    registers = Registers(SqliteRegisterStore(engine, layout.database), checklist)
    return Center(checklist, registers)


def open_checklist(data_dir: Path) -> Checklist:
    return open_center(data_dir).checklist


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="main.py",
        description="Готовность центра «Точка роста». Без команды открывается окно программы.",
    )
    parser.add_argument(
        "--data-dir",
        metavar="DIR",
        help="папка данных (по умолчанию — папка пользователя или $TOCHKA_DATA_DIR)",
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
    package = sub.add_parser("package", help="подписанный пакет отчёта (ZIP с BagIt) для региона")
    package.add_argument(
        "--period", required=True, metavar="ГГГГ-QN|ГГГГ-ММ-ДД", help="квартал или дата отчёта"
    )
    package.add_argument("--out", required=True, metavar="FILE.zip", help="куда сохранить")
    verify = sub.add_parser("verify", help="проверить пакет отчёта: подпись, состав, report.json")
    verify.add_argument("package", metavar="PACKAGE.zip")
    verify.add_argument(
        "--pubkey", required=True, metavar="KEY.pub", help="открытый ключ школы (minisign)"
    )
    export_key = sub.add_parser("export-key", help="сохранить открытый ключ школы (minisign)")
    export_key.add_argument("--out", required=True, metavar="school.pub", help="куда сохранить")
    return parser


# Russian names of the checks of core.package.verify_package
CHECK_NAMES = {
    "bad_archive": "архив повреждён или в нём не один пакет",
    "unsafe_archive": "небезопасный архив (абсолютный путь, «..», ссылка или слишком большой)",
    "not_a_bag": "не пакет BagIt",
    "signature": "подпись неверна",
    "unknown_key": "подписан другим ключом",
    "manifest_mismatch": "файл изменён (контрольная сумма не совпадает)",
    "missing_file": "файл отсутствует",
    "extra_file": "лишний файл",
    "invalid_report": "report.json не соответствует схеме",
    "metadata": "сведения о пакете не совпадают с подписанными",
}
KEY_PROBLEMS = {
    "passphrase_needed": "Ключ подписи защищён паролем: укажите пароль.",
    "wrong_passphrase": "Пароль ключа подписи неверен.",
    "unreadable": "Файл ключа «{path}» не читается ({detail}).",
}


def cmd_package(center: Center, layout: DataLayout, args: argparse.Namespace) -> int:
    from core.package import build_package

    out = Path(args.out).expanduser().resolve()
    info = build_package(center, layout, out, period=args.period)
    print(f"Пакет сохранён: {out}")
    print(f"  период {info.period}, номер {info.sequence}, идентификатор {info.package_id}")
    print(f"  размер {info.size} байт, SHA-256 {info.sha256}")
    print(f"  подписан ключом {info.key_id}")
    return 0


def cmd_export_key(layout: DataLayout, args: argparse.Namespace) -> int:
    from core.keys import export_public_key

    out = Path(args.out).expanduser().resolve()
    key_id = export_public_key(layout, out)
    print(f"Открытый ключ школы сохранён: {out} (идентификатор ключа {key_id})")
    return 0


def cmd_verify(args: argparse.Namespace) -> int:
    from core.keys import load_public_key
    from core.package import verify_package

    public = load_public_key(Path(args.pubkey).expanduser())
    result = verify_package(Path(args.package).expanduser(), public)
    if result.ok:
        info = result.bag_info
        print(f"Пакет проверен: подпись верна, состав полный ({result.payload_files} файлов).")
        print(f"  Школа: {info.get('Source-Organization', '')}")
        print(f"  Период: {info.get('Reporting-Period', '')}, номер {info.get('Sequence-Number')}")
        print(f"  Подписано: {result.trusted_comment}")
        return 0
    print(f"Пакет НЕ прошёл проверку ({len(result.failures)}):", file=sys.stderr)
    for failure in result.failures:
        where = f" — {failure.file}" if failure.file else ""
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
    data_dir = resolve_data_dir(args.data_dir)
    if args.command is None:
        from ui.app import run_gui

        return run_gui(data_dir, open_center)
    try:
        if args.command == "verify":
            return cmd_verify(args)
        if args.command == "export-key":
            return cmd_export_key(DataLayout(data_dir), args)
        center = open_center(data_dir)
        if args.command == "status":
            return cmd_status(center)
        if args.command == "demo":
            return cmd_demo(center, args.photos)
        if args.command in ("print", "export-xlsx"):
            return cmd_document(center, DataLayout(data_dir), args)
        if args.command == "package":
            return cmd_package(center, DataLayout(data_dir), args)
    except TochkaError as exc:
        from core.demo import DemoRefused
        from core.errors import KeyFileError, PackageError
        from ui.messages import describe_error

        if isinstance(exc, KeyFileError):
            text = KEY_PROBLEMS.get(exc.problem, KEY_PROBLEMS["unreadable"])
            print(text.format(path=exc.path, detail=exc.detail), file=sys.stderr)
        elif getattr(exc, "field", None) == "period":
            print(
                f"Период «{getattr(exc, 'detail', '')}» не понят: укажите квартал "
                "(2027-Q2) или дату (2027-08-25).",
                file=sys.stderr,
            )
        elif isinstance(exc, PackageError):
            print(f"Пакет не сделан: {exc.problem} {exc.detail}".strip(), file=sys.stderr)
        elif isinstance(exc, DemoRefused):
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
    sys.exit(main())
