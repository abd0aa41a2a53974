"""What a user's type checker sees: typed structured output, for both clients and streams."""

from __future__ import annotations

from support.user_mypy import check


def test_structured_output_is_typed_by_the_response_format_model(tmp_path):
    check(
        tmp_path,
        """
        from pydantic import BaseModel

        from privllm import AsyncClient, Client


        class Invoice(BaseModel):
            number: str
            total: float


        def sync_calls(client: Client) -> None:
            answer = client.chat("extract", response_format=Invoice)
            reveal_type(answer)  # reveal: privllm.types.ChatResponse[app.Invoice]
            reveal_type(answer.parsed)  # reveal: app.Invoice
            total: float = answer.parsed.total
            number: int = answer.parsed.number  # error: Incompatible types in assignment
            answer.parsed.totl  # error: "Invoice" has no attribute "totl"
            with client.stream("extract", response_format=Invoice) as stream:
                reveal_type(stream)  # reveal: privllm.streaming.ChatStream[app.Invoice]
                for chunk in stream:
                    pass
            assert stream.response is not None
            reveal_type(stream.response.parsed)  # reveal: app.Invoice


        def without_a_model(client: Client) -> None:
            # no response_format, or OpenAI's dicts: no object to parse into, .parsed is None
            reveal_type(client.chat("hi").parsed)  # reveal: None
            json_mode = client.chat("hi", response_format={"type": "json_object"})
            reveal_type(json_mode.parsed)  # reveal: None
            json_mode.parsed.total  # error: "None" has no attribute "total"


        async def async_calls(client: AsyncClient) -> None:
            answer = await client.chat("extract", response_format=Invoice)
            reveal_type(answer.parsed)  # reveal: app.Invoice
            async with client.stream("extract", response_format=Invoice) as stream:
                reveal_type(stream)  # reveal: privllm.streaming.AsyncChatStream[app.Invoice]
            assert stream.response is not None
            reveal_type(stream.response.parsed)  # reveal: app.Invoice
            plain = await client.chat("hi")
            reveal_type(plain.parsed)  # reveal: None
        """,
    )


def test_client_overrides_are_typed_so_a_misspelt_section_is_caught(tmp_path):
    check(
        tmp_path,
        """
        from privllm import AsyncClient, Client
        from privllm.config import ProviderConfig, load_config

        Client(env={}, provider={"model": "gpt-4o-mini"}, audit={"enabled": False})
        Client(env={}, provider=ProviderConfig(model="gpt-4o-mini"), policy={}, redaction={})
        Client(env={}, providers={"local": {"name": "openai"}}, finetune={})
        Client(env={}, provder={"model": "x"})  # error: Unexpected keyword argument "provder"
        AsyncClient(env={}, polcy={})  # error: Unexpected keyword argument "polcy"
        Client(env={}, audit=True)  # error: Argument "audit" to "Client" has incompatible type
        load_config(env={}, middleware=["app.mw:Tagger"], redaction={"enabled": True})
        load_config(env={}, redacton={})  # error: Unexpected keyword argument "redacton"
        """,
    )


def test_the_overrides_name_every_config_section():
    from privllm.config import ClientOverrides, Config, ConfigOverrides

    # a section added to Config without its override would be refused by a user's checker
    assert set(ConfigOverrides.__annotations__) | set(ClientOverrides.__annotations__) == set(
        Config.model_fields
    )
    assert set(Config.model_fields) - set(ClientOverrides.__annotations__) == {"middleware"}
