"""`APP --self-test`: proves an installed application works on this computer, in a temporary
data folder that is removed afterwards: the database opens (and migrates), the template loads,
a checklist PDF renders with the embedded fonts, a signed package is made and verifies, the
XLSX workbook is written. Each step prints «ОК» or what failed; any failure makes the exit
code non-zero."""

from __future__ import annotations

import tempfile
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from core.paths import DataLayout
from core.registers import Center

Opener = Callable[[Path], Center]


@dataclass(frozen=True)
class StepResult:
    name: str
    ok: bool
    seconds: float
    detail: str = ""


def run_self_test(opener: Opener, write: Callable[[str], None] = print) -> list[StepResult]:
    results: list[StepResult] = []
    with tempfile.TemporaryDirectory(prefix="tochka-self-test-") as tmp:
        root = Path(tmp)
        data = root / "data"
        layout = DataLayout(data)
        state: dict[str, object] = {}

        def step(name: str, action: Callable[[], str]) -> None:
            started = time.perf_counter()
            try:
                detail = action()
                result = StepResult(name, True, time.perf_counter() - started, detail)
            except Exception as exc:  # a self-test reports every failure, whatever it is
                last = traceback.format_exception_only(type(exc), exc)[-1].strip()
                result = StepResult(name, False, time.perf_counter() - started, last)
            results.append(result)
            mark = "ОК    " if result.ok else "ОШИБКА"
            extra = f" — {result.detail}" if result.detail else ""
            write(f"[{mark}] {name} ({result.seconds:.1f} с){extra}")

        def open_db() -> str:
            state["center"] = center = opener(data)
            template = center.checklist.template
            return f"шаблон {template.id} {template.version}, пунктов {len(template.items())}"

        def demo() -> str:
            from core.demo import fill_demo

            center = _center(state)
            fill_demo(
                center.checklist, center.checklist.today(), photos=2, registers=center.registers
            )
            return "демонстрационный центр с 2 фото"

        def checklist_pdf() -> str:
            from core.documents import DocumentKind, DocumentOptions, make_document

            out = root / "checklist.pdf"
            pages = make_document(
                _center(state), DocumentKind.CHECKLIST, out, DocumentOptions(), layout
            )
            head = out.read_bytes()[:5]
            if head != b"%PDF-":
                raise RuntimeError("не PDF")
            return f"страниц {pages}, {out.stat().st_size // 1024} КБ"

        def workbook() -> str:
            from core.documents import DocumentKind, DocumentOptions, make_document

            out = root / "registers.xlsx"
            make_document(_center(state), DocumentKind.WORKBOOK, out, DocumentOptions(), layout)
            return f"{out.stat().st_size // 1024} КБ"

        def package() -> str:
            from core.keys import known_public_keys
            from core.outbox import Outbox
            from core.package_verify import verify_package

            center = _center(state)
            assert center.outbox_store is not None
            outbox = Outbox(center, center.outbox_store, layout)
            made = outbox.make("2027-Q2", workers=1)
            result = verify_package(outbox.files(made), known_public_keys(layout))
            if not result.ok:
                raise RuntimeError("; ".join(f"{f.check} {f.file}" for f in result.failures))
            return f"частей {len(made.parts)}, подпись и состав проверены"

        def photo_worker() -> str:
            from core.photo_budget import LADDER, fit_photos

            center = _center(state)
            photos = [e for e in center.checklist.store.all_evidence() if e.kind.value == "photo"]
            sources = [(center.checklist.evidence_path(e), f"{e.sha256}.jpg") for e in photos]
            fit = fit_photos(sources, 1, root / "photos", ladder=LADDER[-1:], workers=2)
            return f"фото уменьшены в отдельных процессах: {len(fit.photos)}"

        step("База данных открывается и обновляется", open_db)
        if "center" in state:
            step("Демонстрационные данные", demo)
            step("Печатный чек-лист (PDF)", checklist_pdf)
            step("Книга Excel (XLSX)", workbook)
            step("Уменьшение фото в двух процессах", photo_worker)
            step("Подписанный пакет отчёта и его проверка", package)
            store = getattr(_center(state).checklist.store, "close", None)
            if callable(store):
                store()
    return results


def _center(state: dict[str, object]) -> Center:
    center = state["center"]
    assert isinstance(center, Center)
    return center
