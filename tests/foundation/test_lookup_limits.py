"""The look-up doors' counters, counted in one call: the headers tell a client its budget, and the refusal when."""
from __future__ import annotations


def test_the_status_lookup_tells_its_budget_and_refuses_past_it(client):
    body = {"registration_no": "BPP-404", "nik": "6471011708900001"}
    answers = [client.post("/api/v1/balikpapan/public/status", json=body) for _ in range(6)]
    assert [a.status_code for a in answers] == [404] * 5 + [429]
    assert [a.headers["X-RateLimit-Remaining"] for a in answers[:5]] == ["4", "3", "2", "1", "0"]
    assert answers[0].headers["X-RateLimit-Limit"] == "5"  # per number, the tighter of the two
    refused = answers[-1]
    assert refused.get_json()["error"] == "too_many_requests" and int(refused.headers["Retry-After"]) > 0


def test_another_number_from_the_same_address_has_its_own_number_budget_but_shares_the_address_one(client):
    codes = [client.post("/api/v1/balikpapan/public/status",
                         json={"registration_no": f"BPP-{n}", "nik": "6471011708900001"}).status_code
             for n in range(11)]
    assert codes == [404] * 10 + [429]  # ten a minute from one address
