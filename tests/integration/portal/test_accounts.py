"""Accounts: organisations, users, invitations, passwords, and the audit chain."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from flask import Flask
from sqlalchemy import select, update

from portal.db.models import AuditEvent, Invitation, Organisation, OrganisationKind, Role, User
from portal.services import accounts, audit
from portal.services.errors import Conflict, Forbidden, InvalidInput, NotFound

from .conftest import PASSWORD, make_user


def uow(app: Flask):  # type: ignore[no-untyped-def]
    return app.extensions["pcf_db"].unit_of_work()


class TestPasswords:
    def test_authenticates_only_the_right_password(self, app: Flask) -> None:
        make_user(app, OrganisationKind.ENTERPRISE, Role.MEMBER, "a@x.cn")
        with uow(app) as session:
            assert accounts.authenticate(session, "A@X.cn", PASSWORD) is not None
            assert accounts.authenticate(session, "a@x.cn", PASSWORD + "!") is None
            assert accounts.authenticate(session, "nobody@x.cn", PASSWORD) is None

    def test_stores_argon2_hashes_not_passwords(self, app: Flask) -> None:
        user_id = make_user(app, OrganisationKind.ENTERPRISE, Role.MEMBER, "a@x.cn")
        with uow(app) as session:
            stored = session.get(User, user_id).password_hash  # type: ignore[union-attr]
        assert stored.startswith("$argon2id$")
        assert PASSWORD not in stored

    def test_refuses_short_passwords(self, app: Flask) -> None:
        with uow(app) as session:
            org = accounts.create_organisation(session, name="o", actor=None,
                                               kind=OrganisationKind.ENTERPRISE)
            with pytest.raises(InvalidInput, match="password"):
                accounts.create_user(session, organisation=org, email="a@x.cn", name="a",
                                     password="short", role=Role.MEMBER, actor=None)

    def test_an_inactive_user_cannot_log_in(self, app: Flask) -> None:
        user_id = make_user(app, OrganisationKind.ENTERPRISE, Role.MEMBER, "a@x.cn")
        with uow(app) as session:
            session.get(User, user_id).active = False  # type: ignore[union-attr]
        with uow(app) as session:
            assert accounts.authenticate(session, "a@x.cn", PASSWORD) is None


class TestRolesAndOrganisations:
    def test_signer_is_a_certification_body_role_only(self, app: Flask) -> None:
        with uow(app) as session:
            org = accounts.create_organisation(session, name="e", actor=None,
                                               kind=OrganisationKind.ENTERPRISE)
            with pytest.raises(InvalidInput, match="signer"):
                accounts.create_user(session, organisation=org, email="s@x.cn", name="s",
                                     password=PASSWORD, role=Role.SIGNER, actor=None)

    def test_only_operator_admins_create_organisations(self, app: Flask) -> None:
        member = make_user(app, OrganisationKind.ENTERPRISE, Role.ADMIN, "e@x.cn")
        operator = make_user(app, OrganisationKind.OPERATOR, Role.ADMIN, "o@x.cn")
        with pytest.raises(Forbidden), uow(app) as session:
            accounts.create_organisation(session, name="new", kind=OrganisationKind.ENTERPRISE,
                                         actor=session.get(User, member))
        with uow(app) as session:
            accounts.create_organisation(session, name="new", kind=OrganisationKind.ENTERPRISE,
                                         actor=session.get(User, operator))
        with pytest.raises(Conflict), uow(app) as session:
            accounts.create_organisation(session, name="new", kind=OrganisationKind.ENTERPRISE,
                                         actor=session.get(User, operator))


class TestInvitations:
    def test_an_admin_invites_and_the_invitee_registers_once(self, app: Flask) -> None:
        admin = make_user(app, OrganisationKind.ENTERPRISE, Role.ADMIN, "admin@x.cn")
        with uow(app) as session:
            token = accounts.invite(session, actor=session.get(User, admin),  # type: ignore[arg-type]
                                    email="new@x.cn", role=Role.MEMBER)
            stored = session.scalar(select(Invitation.token_hash))
        assert stored != token  # only the hash is kept
        with uow(app) as session:
            user = accounts.register(session, token=token, name="New", password=PASSWORD)
            assert user.organisation.kind is OrganisationKind.ENTERPRISE
        with pytest.raises(Conflict, match="already used"), uow(app) as session:
            accounts.register(session, token=token, name="Again", password=PASSWORD)

    def test_a_member_cannot_invite(self, app: Flask) -> None:
        member = make_user(app, OrganisationKind.ENTERPRISE, Role.MEMBER, "m@x.cn")
        with pytest.raises(Forbidden), uow(app) as session:
            accounts.invite(session, actor=session.get(User, member),  # type: ignore[arg-type]
                            email="n@x.cn", role=Role.MEMBER)

    def test_an_admin_cannot_invite_into_another_organisation(self, app: Flask) -> None:
        admin = make_user(app, OrganisationKind.ENTERPRISE, Role.ADMIN, "a@x.cn", "A")
        make_user(app, OrganisationKind.ENTERPRISE, Role.ADMIN, "b@x.cn", "B")
        with uow(app) as session:
            other = session.scalar(select(Organisation).where(Organisation.name == "B"))
            actor = session.get(User, admin)
            assert actor is not None
            with pytest.raises(Forbidden):
                accounts.invite(session, actor=actor, email="n@x.cn", role=Role.MEMBER,
                                organisation=other)

    def test_expired_and_unknown_invitations(self, app: Flask) -> None:
        admin = make_user(app, OrganisationKind.ENTERPRISE, Role.ADMIN, "a@x.cn")
        with uow(app) as session:
            token = accounts.invite(session, actor=session.get(User, admin),  # type: ignore[arg-type]
                                    email="n@x.cn", role=Role.MEMBER)
            session.execute(update(Invitation).values(
                expires_at=datetime.now(UTC) - timedelta(seconds=1)))
        with pytest.raises(Conflict, match="expired"), uow(app) as session:
            accounts.register(session, token=token, name="n", password=PASSWORD)
        with pytest.raises(NotFound), uow(app) as session:
            accounts.register(session, token="forged", name="n", password=PASSWORD)


class TestAuditChain:
    def test_every_change_is_recorded_and_the_chain_verifies(self, app: Flask) -> None:
        make_user(app, OrganisationKind.ENTERPRISE, Role.ADMIN, "a@x.cn")
        with uow(app) as session:
            actions = [e.action for e in session.scalars(select(AuditEvent)
                                                         .order_by(AuditEvent.id))]
            assert actions == ["organisation.create", "user.create"]
            assert audit.verify_chain(session) is None

    def test_editing_history_breaks_the_chain_at_that_event(self, app: Flask) -> None:
        make_user(app, OrganisationKind.ENTERPRISE, Role.ADMIN, "a@x.cn")
        make_user(app, OrganisationKind.ENTERPRISE, Role.MEMBER, "b@x.cn")
        with uow(app) as session:
            second = session.scalars(select(AuditEvent).order_by(AuditEvent.id)).all()[1]
            second.detail = "nothing happened"
            tampered = second.id
        with uow(app) as session:
            assert audit.verify_chain(session) == tampered

    def test_deleting_an_event_breaks_the_chain(self, app: Flask) -> None:
        make_user(app, OrganisationKind.ENTERPRISE, Role.ADMIN, "a@x.cn")
        make_user(app, OrganisationKind.ENTERPRISE, Role.MEMBER, "b@x.cn")
        with uow(app) as session:
            events = session.scalars(select(AuditEvent).order_by(AuditEvent.id)).all()
            session.delete(events[1])
            following = events[2].id
        with uow(app) as session:
            assert audit.verify_chain(session) == following


class TestAuditChainUnderConcurrency:
    def test_concurrent_writers_keep_one_unbroken_chain(self, app: Flask) -> None:
        import threading

        make_user(app, OrganisationKind.OPERATOR, Role.ADMIN, "op@x.cn")
        errors: list[BaseException] = []

        def writer(n: int) -> None:
            try:
                for i in range(5):
                    with uow(app) as session:
                        audit.record(session, actor=None, action="test.write",
                                     entity="thread", entity_id=f"{n}-{i}")
            except BaseException as exc:
                errors.append(exc)

        threads = [threading.Thread(target=writer, args=(n,)) for n in range(4)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert errors == []
        with uow(app) as session:
            events = session.scalars(select(AuditEvent)).all()
            assert len([e for e in events if e.action == "test.write"]) == 20
            assert len({e.previous_hash for e in events}) == len(events)  # no fork
            assert audit.verify_chain(session) is None
