"""One region vocabulary for every provider: a provider's location and the geography that
holds it, so ``policy.allowed_regions = ["eu"]`` means the same on Azure, Vertex and OpenAI.

``allowed_regions`` takes geography codes (``eu``, ``us``, ``uk``, ``ch``, ``jp``... :
``eu`` is the European Union, the others ISO 3166 country codes, lower case) and exact
provider locations (``europe-west4``, ``swedencentral``). An endpoint is in every name that
holds it: Vertex ``europe-west4`` is in ``europe-west4`` and ``eu``; ``europe-west2`` is
London, in ``uk`` and not in ``eu``; Azure ``swedencentral`` is in ``eu``; OpenAI's
``eu.api.openai.com`` is in ``eu``. A location not in the tables below is only itself, so
a new region fails an ``eu`` policy until it is added here (or listed by name): fail closed.

>>> from privllm.types import Endpoint
>>> def at(provider, region):
...     return Endpoint(provider=provider, base_url="https://x/", host="x",
...                     kind="enterprise_api", region=region)
>>> sorted(places(at("google", "europe-west4"))), sorted(places(at("azure", "uksouth")))
(['eu', 'europe-west4'], ['uk', 'uksouth'])
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from privllm.types import Endpoint

__all__ = ["AZURE_REGIONS", "VERTEX_LOCATIONS", "geography", "places"]

#: Vertex AI locations (Google Cloud regions serving Gemini) and the geography of each.
#: Source: cloud.google.com/vertex-ai/docs/general/locations (2026-11); ``eu`` and ``us``
#: are Vertex's own multi-region locations.
VERTEX_LOCATIONS: dict[str, str] = {
    "eu": "eu", "us": "us",
    "us-central1": "us", "us-east1": "us", "us-east4": "us", "us-east5": "us",
    "us-south1": "us", "us-west1": "us", "us-west2": "us", "us-west3": "us", "us-west4": "us",
    "northamerica-northeast1": "ca", "northamerica-northeast2": "ca",
    "southamerica-east1": "br", "southamerica-west1": "cl",
    "europe-central2": "eu", "europe-north1": "eu", "europe-north2": "eu",
    "europe-southwest1": "eu", "europe-west1": "eu", "europe-west3": "eu",
    "europe-west4": "eu", "europe-west8": "eu", "europe-west9": "eu", "europe-west10": "eu",
    "europe-west12": "eu", "europe-west2": "uk", "europe-west6": "ch",
    "asia-east1": "tw", "asia-east2": "hk", "asia-northeast1": "jp", "asia-northeast2": "jp",
    "asia-northeast3": "kr", "asia-south1": "in", "asia-south2": "in",
    "asia-southeast1": "sg", "asia-southeast2": "id",
    "australia-southeast1": "au", "australia-southeast2": "au",
    "me-central1": "qa", "me-central2": "sa", "me-west1": "il", "africa-south1": "za",
}  # fmt: skip

#: Azure regions offering Azure OpenAI and the geography of each. Sources: Azure OpenAI's
#: model and region availability table (learn.microsoft.com/azure/ai-services/openai) and
#: Azure's geographies page (azure.microsoft.com/explore/global-infrastructure) (2026-11).
#: Norway is in the EEA, not the EU: ``norwayeast`` is ``no``.
AZURE_REGIONS: dict[str, str] = {
    "swedencentral": "eu", "francecentral": "eu", "germanywestcentral": "eu",
    "westeurope": "eu", "northeurope": "eu", "italynorth": "eu", "polandcentral": "eu",
    "spaincentral": "eu", "norwayeast": "no", "switzerlandnorth": "ch",
    "switzerlandwest": "ch", "uksouth": "uk", "ukwest": "uk",
    "eastus": "us", "eastus2": "us", "westus": "us", "westus2": "us", "westus3": "us",
    "centralus": "us", "northcentralus": "us", "southcentralus": "us",
    "canadaeast": "ca", "canadacentral": "ca", "brazilsouth": "br", "mexicocentral": "mx",
    "japaneast": "jp", "japanwest": "jp", "koreacentral": "kr", "australiaeast": "au",
    "southindia": "in", "centralindia": "in", "southafricanorth": "za", "uaenorth": "ae",
    "qatarcentral": "qa", "eastasia": "hk", "southeastasia": "sg",
}  # fmt: skip

_TABLES = {"google": VERTEX_LOCATIONS, "azure": AZURE_REGIONS}


def geography(provider: str, location: str) -> str | None:
    """The geography code of ``provider``'s ``location``, or ``None`` when unknown."""
    loc = location.lower()
    table = _TABLES.get(provider)
    if table is not None:
        return table.get(loc)
    return loc if provider == "openai" else None  # OpenAI's residency names are geographies


def places(endpoint: Endpoint) -> frozenset[str]:
    """Every region name ``endpoint`` processes data in: its location, that location's
    geography and a declared data zone, lower case. Empty when nothing is known."""
    out: set[str] = set()
    for name in (endpoint.region, endpoint.data_zone):
        if not name:
            continue
        out.add(name.lower())
        geo = geography(endpoint.provider, name)
        if geo:
            out.add(geo)
    return frozenset(out)
