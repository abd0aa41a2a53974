"""The fine-tuning inventory: what of ours sits at which provider, with its audit evidence.

``store`` keeps the ``finetune_inventory`` table, ``rows`` is what it lists, and
``evidence`` builds the chained audit records and checks the table against them.
"""
