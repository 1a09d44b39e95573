def test_start_page(client):
    page = client.get("/")
    assert page.status == 200
    assert "Start now" in page.text
