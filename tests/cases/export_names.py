"""File names for the nightly order exports."""

import datetime

EXPORT_NAME_TMPL = "orders-{day:%Y-%m-%d}.csv"
ARCHIVE_PATH_TEMPLATE = "archive/{year}/{month:02d}/orders.json.gz"


def export_name(day: datetime.date) -> str:
    return EXPORT_NAME_TMPL.format(day=day)


def archive_path(day: datetime.date) -> str:
    return ARCHIVE_PATH_TEMPLATE.format(year=day.year, month=day.month)
