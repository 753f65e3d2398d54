"""The one place where failures become Russian messages for people: the GUI and the command
line both call describe_error(). Plain Python (no Qt), so the CLI can use it cheaply."""

from __future__ import annotations

from core.delivery_import import DeliveryImportError
from core.errors import (
    CancelledError,
    DocumentError,
    EvidenceError,
    PackageError,
    StorageError,
    TemplateError,
    TochkaError,
    ValidationError,
)

TEMPLATE_FIELDS = {
    "format": "format (версия формата)",
    "id": "id (идентификатор)",
    "title": "title (название)",
    "region": "region (регион)",
    "year": "year (год)",
    "version": "version (версия)",
    "roles": "roles (роли)",
    "sections": "sections (разделы)",
    "items": "items (пункты)",
    "code": "code (код)",
    "done_when": "done_when (что считается выполненным)",
    "evidence": "evidence (подтверждение)",
    "due": "due (срок)",
    "role": "role (ответственный)",
}

TEMPLATE_PROBLEMS = {
    "not_found": "файл не найден",
    "not_utf8": "файл не в кодировке UTF-8",
    "unreadable": "файл не читается ({detail})",
    "not_yaml": "ошибка разметки YAML (строка {detail})",
    "not_mapping": "файл не похож на шаблон: нет полей верхнего уровня",
    "unsupported_format": "версия формата {detail} не поддерживается этой версией программы",
    "missing_field": "не указано поле «{field}»",
    "wrong_type": "поле «{field}» имеет неверный тип",
    "bad_value": "поле «{field}» заполнено неверно",
    "bad_section_code": "код раздела «{detail}» должен состоять из 2–5 латинских заглавных букв",
    "duplicate_section": "раздел с кодом {detail} встречается дважды",
    "empty_section": "в разделе {detail} нет пунктов",
    "bad_code": "код пункта должен выглядеть как ZON-03",
    "code_prefix": "код пункта должен начинаться с кода раздела {detail}",
    "duplicate_code": "код пункта встречается в шаблоне дважды",
    "bad_evidence": "подтверждение «{detail}» неизвестно: допустимо photo, document или none",
    "bad_date": "срок «{detail}» — не дата в виде ГГГГ-ММ-ДД",
    "unknown_role": "ответственный «{detail}» не указан в списке roles",
    "unknown_section": "раздел оборудования «{detail}» не указан в equipment_sections",
    "unknown_item": "пункт чек-листа {detail} не существует",
    "unknown_brand": "элемент фирменного стиля «{detail}» не описан в brand_elements "
    "(или относится ко всему зданию)",
}

EVIDENCE_PROBLEMS = {
    "not_found": "Файл «{name}» не найден. Проверьте, что носитель подключён, и выберите файл "
    "ещё раз.",
    "vanished": "Файл «{name}» исчез или изменился, пока его копировали (носитель извлечён?). "
    "Подключите носитель и добавьте файл ещё раз.",
    "not_a_file": "«{name}» — это папка, а не файл. Выберите файлы внутри неё.",
    "empty": "Файл «{name}» пустой (0 байт). Скорее всего, он не докопировался: "
    "скопируйте его заново и добавьте ещё раз.",
    "unreadable": "Файл «{name}» не удалось прочитать ({detail}). Проверьте права доступа.",
    "corrupt_image": "Файл «{name}» — не изображение или изображение повреждено. "
    "Откройте его на компьютере; если не открывается, сделайте снимок заново.",
    "corrupt_pdf": "Файл «{name}» назван как PDF, но не является PDF-документом. "
    "Сохраните документ в PDF заново.",
    "image_too_large": "Изображение «{name}» слишком велико (более 89 мегапикселей). "
    "Уменьшите его и добавьте снова.",
    "unsupported_type": "Тип файла «{name}» не поддерживается. Приложите фото (JPEG, PNG) "
    "или документ (PDF, DOC/DOCX, ODT, XLS/XLSX).",
    "already_attached": "Файл «{name}» уже приложен к этому пункту.",
}

DELIVERY_PROBLEMS = {
    "not_found": "Файл «{name}» не найден. Проверьте, что носитель подключён, и выберите файл ещё "
    "раз.",
    "not_a_file": "«{name}» — это папка, а не файл. Откройте её и выберите файл со списком "
    "поставки.",
    "unreadable": "Файл «{name}» не удалось прочитать ({detail}). Проверьте, что носитель "
    "подключён и файл не открыт с ограничением доступа, и повторите.",
    "empty": "Файл «{name}» пустой (0 байт). Скорее всего, он не докопировался: скопируйте его "
    "заново и загрузите ещё раз.",
    "encrypted": "Файл «{name}» защищён паролем, программа не может его прочитать. Откройте его в "
    "Excel, снимите пароль (Файл → Сведения → Защитить книгу → Зашифровать с использованием "
    "пароля → удалите пароль), сохраните и загрузите снова.",
    "old_xls": "Файл «{name}» сохранён в старом формате Excel 97–2003 (.xls). Откройте его в "
    "Excel или LibreOffice, сохраните как «Книга Excel (.xlsx)» и загрузите новый файл.",
    "not_xlsx": "Файл «{name}» — не книга Excel (.xlsx) или он повреждён. Откройте список "
    "поставки в Excel или LibreOffice и сохраните его как «Книга Excel (.xlsx)»; если файл не "
    "открывается, попросите поставщика прислать его заново.",
    "too_large": "Файл «{name}» слишком велик для списка поставки ({detail}). Скопируйте лист со "
    "списком в новую книгу Excel, сохраните её и загрузите новый файл.",
    "zip_bomb": "Файл «{name}» устроен подозрительно: его содержимое при открытии разрастается в "
    "сотни раз (так бывает у вредоносных файлов). Программа не стала его открывать. Попросите "
    "поставщика прислать список заново.",
    "xml_bomb": "Файл «{name}» содержит недопустимые для книги Excel конструкции (так бывает у "
    "вредоносных или испорченных файлов). Программа не стала его открывать. Попросите поставщика "
    "прислать список заново.",
    "merged_header": "В файле «{name}» ячейки заголовка таблицы объединены ({detail}), поэтому "
    "непонятно, где какой столбец. Отмените объединение этих ячеек в Excel (Главная → Объединить "
    "и поместить в центре), чтобы у каждого столбца был свой заголовок, сохраните и загрузите "
    "файл снова.",
    "no_header": "В файле «{name}» не найдена строка заголовков таблицы: нет столбца {detail}. "
    "Заголовки должны быть в одной строке среди первых 15 строк первого листа. Впишите названия "
    "столбцов (например, «Наименование» и «Количество») и загрузите файл снова.",
    "too_many_rows": "В файле «{name}» больше {detail} строк — это не похоже на список одной "
    "поставки. Проверьте, что на первом листе только список поставленного оборудования, или "
    "разделите его на несколько файлов.",
    "bad_number": "Файл «{name}», строка {row}: количество {detail} — не целое число больше нуля. "
    "Исправьте ячейку (например, «3» или «3 шт») и загрузите файл снова.",
    "bad_name": "Файл «{name}», строка {row}: указано количество, но не заполнен столбец "
    "«{detail}». Впишите наименование или удалите строку и загрузите файл снова.",
    "bad_date": "Файл «{name}», строка {row}: дата {detail} не распознана. Укажите дату в виде "
    "ДД.ММ.ГГГГ (например, 15.08.2027) и загрузите файл снова.",
}

DOCUMENT_PROBLEMS = {
    "unknown_section": "Раздела «{detail}» нет в чек-листе. Выберите раздел из списка (DOC, KAD, "
    "REM, ZON, EQP, BRD, OPN, INF, MON).",
    "unknown_room": "Помещения № {detail} нет в реестре. Проверьте номер на странице «Помещения».",
    "no_profile": "Профиль центра не заполнен, а он нужен для шапки документа. Заполните его: "
    "«Файл → Профиль центра».",
    "no_indicators": "За {detail} год показателей нет: значения вносятся за год создания Центра. "
    "Выберите этот год.",
    "bad_quarter": "Квартал {detail} не существует: укажите от 1 до 4.",
}

STORAGE_PROBLEMS = {
    "not_sqlite": "Файл «{path}» не является базой данных программы (возможно, он повреждён "
    "или подменён). Файл не изменён. Восстановите его из резервной копии в папке «backups» "
    "или укажите другую папку данных.",
    "read_only": "Нет прав на запись в «{path}» (файл или папка только для чтения). "
    "Снимите атрибут «только чтение» или укажите другую папку данных. Ранее сохранённые "
    "данные не затронуты.",
    "disk_full": "На диске закончилось место ({path}). Освободите место на диске и повторите "
    "действие. Всё, что было сохранено раньше, сохранено.",
    "locked": "База данных «{path}» занята другой программой (возможно, открыта вторая копия "
    "программы). Закройте её и повторите.",
    "cannot_open": "Не удалось открыть «{path}». Проверьте, что диск подключён и папка доступна.",
    "io_error": "Ошибка чтения или записи «{path}»: {detail}. Проверьте диск и повторите.",
    "folder_missing": "Папки «{path}» нет: флешка или диск не подключены. Подключите носитель, "
    "выберите папку заново и повторите. Пакет остаётся в исходящих.",
    "device_gone": "Носитель «{path}» перестал отвечать (флешку вынули?). Подключите его и "
    "повторите запись. Пакет остаётся в исходящих, ничего не потеряно.",
    "readback_mismatch": "Файл «{path}» на носителе прочитался не таким, каким был записан: "
    "носитель неисправен. Запишите пакет на другую флешку. Пакет остаётся в исходящих.",
}

PACKAGE_PROBLEMS = {
    "file_too_big": "Файл «{detail}» больше предела одного файла пакета. Увеличьте предел "
    "размера в настройках или приложите к пункту файл поменьше (например, скан в меньшем "
    "разрешении).",
    "report_too_big": "Отчёт с таблицами не помещается в предел размера файла пакета "
    "({detail}). Увеличьте предел размера в настройках.",
    "evidence_missing": "Файл подтверждения «{detail}» пропал из папки данных. Приложите его к "
    "пункту заново и повторите. Остальные данные не затронуты.",
    "evidence_changed": "Файл подтверждения «{detail}» в папке данных изменён посторонней "
    "программой. Приложите исходный файл к пункту заново и повторите.",
    "invalid_report": "Сведения для пакета не прошли проверку ({detail}). Сообщите об ошибке "
    "разработчикам; ранее сохранённые данные не затронуты.",
    "over_budget": "Часть пакета получилась больше предела ({detail}). Уменьшите предел "
    "и повторите; сообщите об ошибке разработчикам.",
    "unknown_package": "Пакета «{detail}» нет в исходящих.",
    "verify_failed": "Записанный пакет не прошёл проверку ({detail}). Носитель, вероятно, "
    "неисправен: запишите пакет на другой. Пакет остаётся в исходящих.",
    "outbox_file_missing": "Файл пакета «{detail}» пропал из папки исходящих. Сформируйте "
    "пакет заново.",
    "outbox_file_changed": "Файл пакета «{detail}» в папке исходящих изменён или повреждён. "
    "Сформируйте пакет заново.",
}

VALIDATION_FIELDS = {
    "school_full_name": "Полное наименование школы",
    "school_short_name": "Краткое наименование",
    "inn": "ИНН",
    "municipality": "Муниципальное образование",
    "address": "Адрес",
    "director": "Директор",
    "center_head": "Руководитель Центра",
    "phone": "Телефон",
    "email": "Электронная почта",
    "pupils": "Число обучающихся",
    "campaign_year": "Год создания Центра",
    "opening_date": "Плановая дата открытия",
    "not_required_reason": "Причина «не требуется»",
    "completed_on": "Дата выполнения",
    "planned": "План",
    "delivered": "Поставлено",
    "installed": "Установлено",
    "in_use": "Введено в эксплуатацию",
    "room_id": "Помещение",
    "room_number": "Номер помещения",
    "room_name": "Название помещения",
    "zone_type": "Зона",
    "area": "Площадь",
    "floor": "Этаж",
    "done_on": "Дата выполнения",
    "quarter": "Квартал",
    "indicator_value": "Значение показателя",
    "indicator_target": "Цель показателя",
    "period": "Период",
    "max_size": "Предел размера файла",
}

VALIDATION_PROBLEMS = {
    "required": "поле «{field}» нужно заполнить",
    "bad_inn": "ИНН «{detail}» неверен: у школы 10 цифр, последняя — контрольная. "
    "Сверьте с уставом или выпиской ЕГРЮЛ",
    "bad_email": "адрес «{detail}» не похож на адрес электронной почты",
    "bad_phone": "в номере телефона «{detail}» слишком мало цифр",
    "bad_pupils": "число обучающихся должно быть от 1 до 10 000",
    "bad_year": "год {detail} вне допустимого диапазона",
    "opening_year_mismatch": "дата открытия должна быть в {detail} году — годе создания Центра",
    "reason_required": "для статуса «не требуется» укажите причину",
    "future_date": "дата выполнения не может быть в будущем",
    "negative": "«{field}»: значение {detail} меньше нуля — введите 0 или больше",
    "not_a_number": "«{field}»: «{detail}» — не число",
    "percent_range": "«{field}»: {detail} — процент должен быть от 0 до 100",
    "whole_number": "«{field}»: {detail} — нужно целое число (люди и мероприятия не дробятся)",
    "above_pupils": "«{field}»: {detail} — больше, чем обучающихся в школе по профилю. "
    "Проверьте значение или число обучающихся в профиле",
    "unknown_room": "такого помещения нет — выберите помещение из списка",
    "unknown_zone": "тип зоны «{detail}» не описан в шаблоне",
    "bad_area": "площадь {detail} м² не похожа на площадь помещения",
    "bad_floor": "этаж {detail} вне разумных пределов",
    "bad_quarter": "квартал должен быть от 1 до 4",
    "bad_quarter_text": "квартал «{detail}» не понят: пишите так: 2024-Q3",
    "bad_period": "период «{detail}» не понят: укажите квартал (2027-Q2) или дату (2027-08-25)",
    "bad_size": "размер «{detail}» не понят: пишите, например, 20MB",
    "too_small": "предел размера «{detail}» слишком мал: нужно не меньше 1 МБ",
}


def describe_error(exc: BaseException) -> str:
    """A Russian sentence or two: what happened and what to do."""
    if isinstance(exc, TemplateError):
        where = f"Шаблон {exc.path.name}"
        if exc.item_code:
            where += f", пункт {exc.item_code}"
        problem = TEMPLATE_PROBLEMS.get(exc.problem, exc.problem).format(
            field=TEMPLATE_FIELDS.get(exc.detail, exc.detail), detail=exc.detail
        )
        return f"{where}: {problem}. Исправьте файл шаблона или верните версию из поставки."
    if isinstance(exc, EvidenceError):
        text = EVIDENCE_PROBLEMS.get(exc.problem, "Не удалось приложить файл «{name}»: {detail}.")
        return text.format(name=exc.path.name, detail=exc.detail)
    if isinstance(exc, DeliveryImportError):
        text = DELIVERY_PROBLEMS.get(exc.problem, DELIVERY_PROBLEMS["not_xlsx"])
        return text.format(name=exc.path.name, detail=exc.detail, row=exc.row)
    if isinstance(exc, DocumentError):
        text = DOCUMENT_PROBLEMS.get(exc.problem, "Документ не сделан: {detail}.")
        return text.format(detail=exc.detail)
    if isinstance(exc, StorageError):
        text = STORAGE_PROBLEMS.get(exc.problem, STORAGE_PROBLEMS["io_error"])
        return text.format(path=exc.path, detail=exc.detail)
    if isinstance(exc, ValidationError):
        field = VALIDATION_FIELDS.get(exc.field, exc.field)
        problem = VALIDATION_PROBLEMS.get(exc.problem, exc.problem)
        sentence = problem.format(field=field, detail=exc.detail)
        return f"{sentence[0].upper()}{sentence[1:]}."
    if isinstance(exc, PackageError):
        text = PACKAGE_PROBLEMS.get(exc.problem, "Пакет не сделан: {detail}.")
        return text.format(detail=exc.detail)
    if isinstance(exc, CancelledError):
        return "Действие отменено."
    if isinstance(exc, TochkaError):
        return f"Ошибка: {exc}"
    if isinstance(exc, MemoryError):
        return "Не хватило памяти. Закройте другие программы и повторите."
    if isinstance(exc, OSError):
        where = f" ({exc.filename})" if exc.filename else ""
        return f"Ошибка файловой системы{where}: {exc.strerror or exc}. Проверьте диск и повторите."
    return (
        f"Непредвиденная ошибка: {type(exc).__name__}: {exc}. Ранее сохранённые данные не "
        "затронуты. Сообщите об ошибке разработчикам."
    )
