"""Optional integrations with other libraries, one module each, imported only when used.

Each needs its extra (``pip install 'privllm[otel]'``); a missing one fails with that line.
"""
