def test_help_and_unknown(bot):
    r = bot.command("help")
    assert r.status == 200
    assert "address new" in r.body_text
    r = bot.command("frobnicate")
    assert "frobnicate" in r.json["blocks"][0]["text"]["text"]
