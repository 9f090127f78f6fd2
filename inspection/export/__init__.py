"""Spreadsheets out and back: the QA workbook, CSV, pseudonymised exports, offline audit packs.

``tables`` computes every table once; ``workbook``, ``csv`` and the web pages render it.
"""
