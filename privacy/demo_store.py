"""The FinSolve demo store the shipped data map describes (customers, transactions, prefs).

Used by ``trustplane demo`` (a SQLite file) and by the tests (SQLite and PostgreSQL).
PAN is stored encrypted by the vault under the customer's own key (crypto-shreddable).
"""

from __future__ import annotations

import random
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from sqlalchemy import (
    Boolean,
    Column,
    Date,
    DateTime,
    ForeignKey,
    Integer,
    MetaData,
    Numeric,
    String,
    Table,
    Text,
    insert,
)
from sqlalchemy.engine import Engine

METADATA = MetaData()
CUSTOMERS = Table(
    "customers",
    METADATA,
    Column("id", String(20), primary_key=True),
    Column("email", String(320), nullable=True, index=True),
    Column("phone", String(20), nullable=True, index=True),
    Column("full_name", String(200), nullable=True),
    Column("date_of_birth", Date, nullable=True),
    Column("pan", Text, nullable=True),
    Column("city", String(100), nullable=True),
)
TRANSACTIONS = Table(
    "transactions",
    METADATA,
    Column("id", Integer, primary_key=True),
    Column("customer_id", String(20), ForeignKey("customers.id"), nullable=False, index=True),
    Column("amount", Numeric(14, 2), nullable=False),
    Column("merchant", String(100), nullable=True),
    Column("created_at", DateTime(timezone=True), nullable=False),
)
PREFERENCES = Table(
    "marketing_preferences",
    METADATA,
    Column("id", Integer, primary_key=True),
    Column("customer_id", String(20), ForeignKey("customers.id"), nullable=False, index=True),
    Column("channel", String(20), nullable=False),
    Column("opted_in", Boolean, nullable=False),
)

FIRST = [
    "Aarav",
    "Diya",
    "Ishaan",
    "Kavya",
    "Rohan",
    "Saanvi",
    "Vihaan",
    "Ananya",
    "Arjun",
    "Meera",
]
LAST = ["Sharma", "Iyer", "Reddy", "Nair", "Gupta", "Patel", "Khan", "Das", "Menon", "Singh"]
CITIES = ["Bengaluru", "Mumbai", "Pune", "Chennai", "Delhi", "Hyderabad", "Kolkata"]
MERCHANTS = ["BigBasket", "Swiggy", "IRCTC", "Airtel", "Flipkart", "Zomato", "BESCOM"]

EncryptPan = Callable[[str, str], str]  # (pan, customer_id) -> ciphertext


def customer_id(index: int) -> str:
    return f"C{index:07d}"


def customer_email(index: int) -> str:
    return f"customer{index}@example.in"


def create_demo_store(
    engine: Engine,
    customers: int,
    encrypt_pan: EncryptPan,
    *,
    transactions_per_customer: int = 3,
    seed: int = 7,
) -> None:
    """Create the tables and ``customers`` customers (fictional; emails at example.in)."""
    rng = random.Random(seed)  # noqa: S311 (fictional demo data, not secrets)
    METADATA.create_all(engine)
    start = datetime(2025, 1, 1, tzinfo=UTC)
    customer_rows, transaction_rows, preference_rows = [], [], []
    next_tx = 1
    for index in range(1, customers + 1):
        cid = customer_id(index)
        pan = "".join(rng.choice("ABCDEFGHJKLMNPQRSTUVWXYZ") for _ in range(5))
        pan += f"{rng.randrange(10_000):04d}" + rng.choice("ABCDEFGHJKLMNPQRSTUVWXYZ")
        customer_rows.append(
            {
                "id": cid,
                "email": customer_email(index),
                "phone": f"+9198{index:08d}",
                "full_name": f"{rng.choice(FIRST)} {rng.choice(LAST)}",
                "date_of_birth": (start - timedelta(days=rng.randrange(7000, 25000))).date(),
                "pan": encrypt_pan(pan, cid),
                "city": rng.choice(CITIES),
            }
        )
        for _ in range(transactions_per_customer):
            transaction_rows.append(
                {
                    "id": next_tx,
                    "customer_id": cid,
                    "amount": Decimal(rng.randrange(100, 500_000)) / 100,
                    "merchant": rng.choice(MERCHANTS),
                    "created_at": start + timedelta(minutes=rng.randrange(500_000)),
                }
            )
            next_tx += 1
        preference_rows.append(
            {"id": index, "customer_id": cid, "channel": "email", "opted_in": rng.random() < 0.4}
        )
    with engine.begin() as connection:
        for table, rows in (
            (CUSTOMERS, customer_rows),
            (TRANSACTIONS, transaction_rows),
            (PREFERENCES, preference_rows),
        ):
            for begin in range(0, len(rows), 2000):
                connection.execute(insert(table), rows[begin : begin + 2000])
