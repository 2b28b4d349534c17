"""Babel catalogs (vi default, en) and the per-update translator."""

from bot.i18n.translator import LANGUAGES, N_, Catalogs, Translator

__all__ = ["LANGUAGES", "N_", "Catalogs", "Translator"]
