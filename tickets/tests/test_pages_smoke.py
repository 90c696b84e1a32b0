from tests.factories import make_ticket


def test_agent_pages_render(agent_client, team, contact):
    # given
    ticket = make_ticket(contact=contact, team=team, title="Не работает лифт")
    # when / then
    for url in [
        "/tickets/",
        "/tickets/?view=mine",
        "/tickets/?view=unassigned",
        "/tickets/?view=all",
        f"/tickets/{ticket.number}/",
        "/tickets/new/",
        "/tickets/search/?q=лифты",
        "/customers/companies/",
        f"/customers/companies/{contact.company_id}/",
        "/customers/contacts/",
        f"/customers/contacts/{contact.pk}/",
        "/tickets/contacts/lookup/?q=912",
        f"/tickets/{ticket.number}/live/?since=0",
    ]:
        response = agent_client.get(url)
        assert response.status_code == 200, url
