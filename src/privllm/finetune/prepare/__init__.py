"""Preparing training files: check each line's format, redact or swap in surrogates
consistently, seal the value map, and scan a file for what is left.

Users import from :mod:`privllm.finetune`; the modules here are its parts:
``dataset`` (``prepare_file``, ``scan_file``), ``formats`` and ``slots`` (the line formats),
``lines`` (one line's work), ``strictjson``, ``surrogates``, ``valuemap``, ``parallel``
(worker processes), ``staging`` (temporary files) and ``report``.
"""
