"""English for European manufacturers: day before month and a 24-hour clock, so that
"03/09/2026" can only mean 3 September (Django's `en` is US: "Sept. 3, 2026", "09/03/2026").
Numbers stay English (1,234.56); German keeps Django's `de` formats (27.11.2026, 1.234,56).
"""

DATE_FORMAT = "j M Y"  # 27 Nov 2026
TIME_FORMAT = "H:i"  # 14:05
DATETIME_FORMAT = "j M Y, H:i"  # 27 Nov 2026, 14:05
YEAR_MONTH_FORMAT = "F Y"  # November 2026
MONTH_DAY_FORMAT = "j F"  # 27 November
SHORT_DATE_FORMAT = "d/m/Y"  # 27/11/2026
SHORT_DATETIME_FORMAT = "d/m/Y H:i"  # 27/11/2026 14:05
FIRST_DAY_OF_WEEK = 1  # Monday

# The first entry is what date widgets render: ISO, which <input type="date"> needs.
# No month-first formats, so a typed "03/09/2026" is read day first.
DATE_INPUT_FORMATS = [
    "%Y-%m-%d",  # 2026-11-27
    "%d/%m/%Y",  # 27/11/2026
    "%d/%m/%y",  # 27/11/26
    "%d.%m.%Y",  # 27.11.2026
]
TIME_INPUT_FORMATS = [
    "%H:%M:%S",  # 14:05:59
    "%H:%M:%S.%f",  # 14:05:59.000200
    "%H:%M",  # 14:05
]
DATETIME_INPUT_FORMATS = [
    "%Y-%m-%d %H:%M:%S",  # 2026-11-27 14:05:59
    "%Y-%m-%d %H:%M:%S.%f",  # 2026-11-27 14:05:59.000200
    "%Y-%m-%d %H:%M",  # 2026-11-27 14:05
    "%d/%m/%Y %H:%M:%S",  # 27/11/2026 14:05:59
    "%d/%m/%Y %H:%M",  # 27/11/2026 14:05
    "%d/%m/%y %H:%M",  # 27/11/26 14:05
]
DECIMAL_SEPARATOR = "."
THOUSAND_SEPARATOR = ","
NUMBER_GROUPING = 3
