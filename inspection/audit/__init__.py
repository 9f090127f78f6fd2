"""Judging help: rubrics, audits with evidence, second marking, moderation, findings, concerns.

Plain async functions over the models; the web pages and the CLI are thin shells over them.
"""
