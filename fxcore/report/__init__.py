"""PDF reports: one per effect (`make_report`, pages) and the all-effects summary (`make_summary`, summary).

layout holds the page geometry, tables and text columns; text the YAML and number formatting.
"""

from .pages import build_report, make_report  # noqa: F401
from .summary import build_summary, make_summary  # noqa: F401
