"""A realistic demo center: profile, about half of the items in various states, generated
photos of camera size attached, some items overdue. For trying the application and for
benchmarks; refuses to touch a data folder that already holds a center."""

from __future__ import annotations

import datetime as dt
import random
import tempfile
from collections.abc import Callable
from pathlib import Path

from core.checklist import Checklist
from core.errors import TochkaError
from core.model import CenterProfile, EvidenceKind, ItemStatus, UnitStatus
from core.registers import Registers

PHOTO_SIZE = (3000, 2000)


class DemoRefused(TochkaError):
    """The data folder already holds a center: the demo never overwrites real data."""


def demo_profile(today: dt.date) -> CenterProfile:
    campaign_year = today.year if today.month < 6 else today.year + 1
    return CenterProfile(
        school_full_name=(
            "Муниципальное бюджетное общеобразовательное учреждение «Средняя "
            "общеобразовательная школа с. Троицкое» Нанайского муниципального района "
            "Хабаровского края"
        ),
        school_short_name="МБОУ СОШ с. Троицкое",
        inn="2714006330",
        municipality="Нанайский муниципальный район",
        address="682350, Хабаровский край, Нанайский р-н, с. Троицкое, ул. Калинина, д. 102",
        director="Иванова Светлана Петровна",
        center_head="Ким Алексей Викторович",
        phone="+7 (42156) 4-12-35",
        email="troickoe-school@example.ru",
        pupils=412,
        campaign_year=campaign_year,
        opening_date=dt.date(campaign_year, 9, 1),
    )


def make_demo_photo(path: Path, seed: int, caption: str, taken: dt.datetime) -> None:
    """A JPEG of camera size that is not a flat colour: a lit room with furniture-like
    shapes and sensor noise, with EXIF date and camera model."""
    from PIL import Image, ImageDraw, ImageFont, ImageOps

    rnd = random.Random(seed)
    w, h = PHOTO_SIZE
    wall = tuple(rnd.randint(150, 235) for _ in range(3))
    floor = tuple(rnd.randint(60, 140) for _ in range(3))
    base = Image.linear_gradient("L").resize((w, h))
    img = ImageOps.colorize(base, black=wall, white=floor).convert("RGB")
    draw = ImageDraw.Draw(img)
    for _ in range(rnd.randint(6, 12)):  # windows, boards, tables, cabinets
        x0, y0 = rnd.randint(0, w - 400), rnd.randint(0, h - 300)
        x1, y1 = x0 + rnd.randint(200, 900), y0 + rnd.randint(150, 700)
        color = tuple(rnd.randint(20, 255) for _ in range(3))
        draw.rectangle((x0, y0, x1, y1), fill=color, outline=(30, 30, 30), width=6)
    noise = Image.effect_noise((w, h), rnd.uniform(18, 40)).convert("RGB")
    img = Image.blend(img, noise, 0.18)
    draw = ImageDraw.Draw(img)
    try:
        from importlib import resources

        font_path = resources.files("resources") / "fonts" / "PTSans-Bold.ttf"
        font: ImageFont.FreeTypeFont | ImageFont.ImageFont = ImageFont.truetype(str(font_path), 90)
    except OSError:
        font = ImageFont.load_default()
    draw.rectangle((60, h - 220, w - 60, h - 60), fill=(255, 255, 255))
    draw.text((100, h - 200), caption[:60], fill=(20, 20, 20), font=font)
    exif = Image.Exif()
    exif[0x010F] = "DemoCam"
    exif[0x0110] = "Точка роста демо"
    exif[0x0132] = taken.strftime("%Y:%m:%d %H:%M:%S")
    exif.get_ifd(0x8769)[0x9003] = taken.strftime("%Y:%m:%d %H:%M:%S")
    img.save(path, "JPEG", quality=88, exif=exif.tobytes())


def fill_demo_registers(registers: Registers, today: dt.date) -> None:
    """Rooms, the full equipment list with some discrepancies, brand elements, roadmap tasks
    (some overdue), indicators for two quarters."""
    rnd = random.Random(2027)
    template = registers.template
    zones = [z.code for z in template.zone_types]
    plan = [
        ("12", "Кабинет физики", zones[0], 2, 64.5),
        ("14", "Кабинет химии и биологии", zones[1 % len(zones)], 2, 70.2),
        ("14а", "Лаборантская", zones[2 % len(zones)], 2, 18.0),
        ("21", "Коворкинг", zones[3 % len(zones)], 2, 48.0),
    ]
    rooms = []
    for n, (number, name, zone, floor, area) in enumerate(plan):
        status = [ItemStatus.DONE, ItemStatus.DONE, ItemStatus.IN_PROGRESS, ItemStatus.NOT_STARTED][
            n
        ]
        rooms.append(
            registers.add_room(number, name, zone, floor=floor, area=area, repair_status=status)
        )
    for item in registers.brand_items():
        status = rnd.choice(
            [ItemStatus.DONE, ItemStatus.DONE, ItemStatus.IN_PROGRESS, ItemStatus.NOT_STARTED]
        )
        registers.update_brand(item.key, status=status)
    suppliers = ["ООО «Школьный мир»", "ООО «Научные развлечения»", "АО «Просвещение-Снаб»"]
    for n, view in enumerate(registers.positions()):
        planned = view.planned
        delivered = planned if n % 5 else max(0, planned - 1)  # every fifth short
        installed = delivered if n % 4 else max(0, delivered - 1)
        in_use = installed if n % 3 else max(0, installed - 1)
        registers.update_position(
            view.position.code,
            delivered=delivered,
            installed=installed,
            in_use=in_use,
            supplier=suppliers[n % len(suppliers)],
            contract_number=f"0122300012427000{n % 3 + 1:03d}",
            contract_date=today - dt.timedelta(days=120),
            delivery_date=today - dt.timedelta(days=60 - n),
            act_number=f"{n + 1}/П" if delivered else "",
            act_date=today - dt.timedelta(days=55 - n) if delivered else None,
        )
        room = rooms[{"физика": 0, "химия": 1, "биология": 1}.get(view.position.section, 3)]
        for unit_number in range(min(delivered, 3)):
            registers.add_unit(
                view.position.code,
                serial_number=f"SN{2027_0000 + n * 10 + unit_number}",
                inventory_number=f"101340{n:03d}{unit_number}" if (n + unit_number) % 7 else "",
                room_id=room.id if (n + unit_number) % 9 else None,
                status=UnitStatus.IN_USE if unit_number < in_use else UnitStatus.INSTALLED,
            )
    tasks = registers.tasks(today)
    for n, task in enumerate(tasks):
        if n < 4:
            registers.update_task(
                task.task.code,
                status=ItemStatus.DONE,
                done_on=today - dt.timedelta(days=30 - n),
                order_number=f"{15 + n}-од",
                order_date=today - dt.timedelta(days=31),
            )
        elif n < 7:
            registers.update_task(
                task.task.code,
                status=ItemStatus.IN_PROGRESS,
                due_override=today - dt.timedelta(days=5 + n),
                comment="Срок перенесён по письму управления образования",
            )
    year = registers.indicator_year()
    profile = registers.checklist.profile()
    pupils = profile.pupils if profile else 300
    for indicator_row in registers.indicators(year):
        indicator = indicator_row.indicator
        for quarter, share in ((1, 0.35), (2, 0.6)):
            value = indicator.target * share
            if indicator.unit == "чел.":
                value = min(pupils, round(value))
            elif indicator.unit == "ед.":
                value = round(value)
            registers.set_indicator_value(
                indicator.code,
                year,
                quarter,
                float(value),
                "по данным журнала" if quarter == 2 else "",
            )


def fill_demo(
    checklist: Checklist,
    today: dt.date,
    photos: int = 40,
    progress: Callable[[int, int], None] | None = None,
    registers: Registers | None = None,
) -> None:
    if checklist.profile() is not None:
        raise DemoRefused("data folder already holds a center")
    rnd = random.Random(2024)
    profile = checklist.save_profile(demo_profile(today))
    items = checklist.template.items()
    touched = rnd.sample(items, k=len(items) // 2)
    people = [
        profile.director,
        profile.center_head,
        "Петрова Анна Игоревна (учитель химии)",
        "Сидоров Павел Николаевич (завхоз)",
        "Ли Ольга Сергеевна (учитель физики)",
    ]
    photo_items = [i for i in touched if i.evidence is EvidenceKind.PHOTO]
    total = len(touched) + photos
    step = 0
    statuses = [ItemStatus.DONE] * 5 + [ItemStatus.IN_PROGRESS] * 3 + [ItemStatus.NOT_REQUIRED]
    for item in touched:
        status = rnd.choice(statuses)
        changes: dict[str, object] = {"status": status, "responsible": rnd.choice(people)}
        if status is ItemStatus.DONE:
            changes["completed_on"] = today - dt.timedelta(days=rnd.randint(1, 120))
        if status is ItemStatus.NOT_REQUIRED:
            changes["not_required_reason"] = "Имеется в школе с прошлых лет, акт инвентаризации"
        if status is ItemStatus.IN_PROGRESS and rnd.random() < 0.5:
            changes["comment"] = "Ждём поставщика, обещали на следующей неделе"
        checklist.update_item(item.code, **changes)
        step += 1
        if progress:
            progress(step, total)
    # a few items whose deadline the municipality moved earlier and that are not done yet
    open_items = [
        i
        for i in items
        if checklist.state(i.code).status is not ItemStatus.DONE
        and checklist.state(i.code).status is not ItemStatus.NOT_REQUIRED
    ]
    for item in rnd.sample(open_items, k=min(6, len(open_items))):
        checklist.update_item(
            item.code,
            due_override=today - dt.timedelta(days=rnd.randint(3, 40)),
            comment="Срок перенесён по письму управления образования",
        )
    if registers is not None:
        fill_demo_registers(registers, today)
    with tempfile.TemporaryDirectory(prefix="tochka-demo-") as tmp:
        for n in range(photos):
            item = photo_items[n % len(photo_items)] if photo_items else items[n % len(items)]
            taken = dt.datetime.combine(today, dt.time(10, 0)) - dt.timedelta(
                days=rnd.randint(1, 90), minutes=rnd.randint(0, 600)
            )
            path = Path(tmp) / f"IMG_{2024_0000 + n:08d}.jpg"
            make_demo_photo(path, seed=n, caption=f"{item.code} {item.title}", taken=taken)
            checklist.attach(item.code, [path])
            step += 1
            if progress:
                progress(step, total)
