"""Fine-tuning jobs at a provider: admit, upload, train, track and purge, under policy.

Users import from :mod:`privllm.finetune`; the modules here are its parts:
``lifecycle`` (:class:`~privllm.finetune.FinetuneJobs`), ``admission`` (the refusals before
anything is sent), ``backends`` (one provider's SDK calls), ``status`` (neutral job states),
``gcs`` and ``gcs_refs`` (Cloud Storage for Vertex AI), and ``cli`` (the commands).
"""
