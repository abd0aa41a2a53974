"""The egress guard: every request checked at the HTTP transport before it leaves.

Users import from :mod:`privllm.policy`; the modules here are its parts: ``guard``
(:class:`~privllm.policy.EgressPolicy`, the checks), ``transport`` (the httpx2 transports
and ``guard_wrapper``), ``scope`` (what the guard repeats from config), ``body`` and
``decode`` (reading a body as the server will), ``rules`` (the refusals by name) and
``origin`` (where a request connects).
"""
