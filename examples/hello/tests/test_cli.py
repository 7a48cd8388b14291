from hello.cli import greeting


def test_greeting():
    assert greeting("you").startswith("Hello, you!")
