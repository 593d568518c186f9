import uuid

from testkit.hooks import last_secret

PASSWORD = "Correct-Horse-42!"


def unique_email(prefix="user", domain="example.com"):
    return f"{prefix}.{uuid.uuid4().hex[:10]}@{domain}"


def make_active_employer(rpc, email=None, password=PASSWORD):
    email = email or unique_email("employer")
    rpc.register(data={"role": "employer", "first_name": "Paul", "last_name": "Durand", "function": "Gérant",
                       "email": email, "password": password})
    token = last_secret("activation", email)
    out = rpc.activate(token)
    return email, out["user_id"]
