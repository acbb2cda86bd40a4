"""Interactive network pages for analysts: self-contained HTML that works offline."""

from scalpernet.views.overview import render_overview_page
from scalpernet.views.render import LANGUAGES, Served, render_network_page

__all__ = ["LANGUAGES", "Served", "render_network_page", "render_overview_page"]
