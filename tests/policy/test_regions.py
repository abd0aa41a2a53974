"""One region vocabulary across providers (issue 14, item 7): swapping provider under the
same ``allowed_regions`` is one line. Each provider's real host is rerouted to a local wire
server, so policy sees the endpoint a real deployment has."""

from __future__ import annotations

import pytest

from privllm import Client
from privllm.errors import PolicyViolation
from privllm.policy.regions import AZURE_REGIONS, VERTEX_LOCATIONS, geography
from support.reroute import reroute


def vertex(server, location: str) -> tuple[dict, dict]:
    provider = server.provider_config(location=location)
    del provider["google"]["base_url"]  # the real regional host, rerouted below
    host = f"{location}-aiplatform.googleapis.com"
    server.location = location
    return provider, {host: server.port}


def azure(server, region: str) -> tuple[dict, dict]:
    host = "contoso-test.openai.azure.com"
    provider = server.provider_config(endpoint=f"https://{host}", region=region, data_zone=None)
    return provider, {host: server.port}


def openai(server, residency: str) -> tuple[dict, dict]:
    provider = server.provider_config(base_url=None, data_residency=residency)
    provider["openai"].pop("base_url")
    return provider, {f"{residency}.api.openai.com": server.port}


CASES = [
    # (provider, location, allowed_regions, sent?)
    ("google", "europe-west4", ["eu"], True),  # Netherlands
    ("google", "europe-west3", ["eu"], True),  # Frankfurt
    ("google", "europe-west2", ["eu"], False),  # London: not the EU
    ("google", "europe-west2", ["uk"], True),
    ("google", "europe-west6", ["eu"], False),  # Zurich
    ("google", "us-central1", ["eu"], False),
    ("google", "us-central1", ["us"], True),
    ("google", "europe-west4", ["europe-west4"], True),  # a location by its own name
    ("azure", "swedencentral", ["eu"], True),  # a region, no data zone declared
    ("azure", "uksouth", ["eu"], False),
    ("azure", "norwayeast", ["eu"], False),  # EEA, not the EU
    ("azure", "eastus2", ["us"], True),
    ("openai", "eu", ["eu"], True),
    ("openai", "us", ["eu"], False),
]


@pytest.mark.parametrize(("name", "location", "allowed", "sent"), CASES)
def test_one_vocabulary_for_every_provider(
    request, name, location, allowed, sent
):
    fixture = {"google": "gemini_server", "azure": "azure_server", "openai": "openai_server"}
    server = request.getfixturevalue(fixture[name])
    provider, ports = {"google": vertex, "azure": azure, "openai": openai}[name](server, location)
    with Client(
        env={},
        provider={**provider, "max_retries": 0},
        policy={"allowed_regions": allowed},
        audit={"enabled": False},
        transport_wrapper=reroute(ports),
    ) as client:
        if sent:
            client.chat("hi")
            assert len(server.requests) == 1
        else:
            with pytest.raises(PolicyViolation, match="allowed_regions") as info:
                client.chat("hi")
            assert info.value.rule == "allowed_regions"
            assert server.requests == []


def test_an_unknown_location_is_only_itself():
    # A region added by a provider after this release fails an "eu" policy (fail closed)
    # until it is in the table or listed by name.
    assert geography("google", "europe-west99") is None
    assert geography("azure", "newregion") is None


@pytest.mark.parametrize(
    ("table", "location", "geo"),
    [
        (VERTEX_LOCATIONS, "europe-west9", "eu"),  # Paris
        (VERTEX_LOCATIONS, "europe-west2", "uk"),
        (VERTEX_LOCATIONS, "asia-northeast1", "jp"),
        (AZURE_REGIONS, "francecentral", "eu"),
        (AZURE_REGIONS, "switzerlandnorth", "ch"),
        (AZURE_REGIONS, "japaneast", "jp"),
    ],
)
def test_tables_name_the_geography(table, location, geo):
    assert table[location] == geo
