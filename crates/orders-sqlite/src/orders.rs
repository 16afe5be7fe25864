//! The order ports on SQLite: create (order, idempotency record and outbox
//! row in one transaction), get, list by sort key with an exclusive cursor,
//! and the conditional status move.

use crate::{blocking, map_err, outbox, SqliteStore};
use chrono::{DateTime, Utc};
use orders_core::error::StoreError;
use orders_core::idempotency::IdempotencyRecord;
use orders_core::model::{Order, OrderStatus};
use orders_core::ports::{
    CompensationStart, CreateOutcome, ListPage, ListQuery, OrderLister, OrderReader,
    OrderStatusUpdater, OrderWriter, SagaFence, SortOrder, StatusChange, TransitionOutcome,
};
use rusqlite::{params, Connection, OptionalExtension};
use uuid::Uuid;

fn read_record(conn: &Connection, key: &str) -> Result<Option<IdempotencyRecord>, StoreError> {
    let mut stmt = conn
        .prepare_cached(
            "SELECT request_hash, order_id, status_code, response_body, expires_at \
             FROM idempotency WHERE key = ?1",
        )
        .map_err(map_err)?;
    let row = stmt
        .query_row([key], |r| {
            Ok((
                r.get::<_, String>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, i64>(2)?,
                r.get::<_, String>(3)?,
                r.get::<_, i64>(4)?,
            ))
        })
        .optional()
        .map_err(map_err)?;
    row.map(
        |(request_hash, order_id, status_code, response_body, expires_at)| {
            Ok(IdempotencyRecord {
                key: key.to_string(),
                request_hash,
                order_id: Uuid::try_parse(&order_id)
                    .map_err(|e| StoreError::Corrupt(format!("idempotency order id: {e}")))?,
                status_code: u16::try_from(status_code)
                    .map_err(|_| StoreError::Corrupt(format!("status code {status_code}")))?,
                response_body,
                expires_at,
            })
        },
    )
    .transpose()
}

/// What an order row keeps in its own columns, outside its JSON document
/// (`Order` skips these when serializing): the customer's contacts, and the
/// saga's fence (epoch milliseconds).
pub(crate) struct Contacts {
    pub(crate) email: Option<String>,
    pub(crate) phone: Option<String>,
    pub(crate) compensation_started_at: Option<i64>,
}

/// The columns every order read selects, in this order; see [`order_row`].
const ORDER_COLUMNS: &str = "doc, customer_email, customer_phone, compensation_started_at";

/// Reads the [`ORDER_COLUMNS`] of a row.
fn order_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<(String, Contacts)> {
    Ok((
        r.get(0)?,
        Contacts {
            email: r.get(1)?,
            phone: r.get(2)?,
            compensation_started_at: r.get(3)?,
        },
    ))
}

pub(crate) fn decode_order(doc: &str, contacts: Contacts) -> Result<Order, StoreError> {
    let mut order: Order = serde_json::from_str(doc)
        .map_err(|e| StoreError::Corrupt(format!("order document: {e}")))?;
    order.customer_email = contacts.email;
    order.customer_phone = contacts.phone;
    order.compensation_started_at = contacts
        .compensation_started_at
        .map(|ms| {
            chrono::DateTime::from_timestamp_millis(ms)
                .ok_or_else(|| StoreError::Corrupt(format!("compensation time {ms}")))
        })
        .transpose()?;
    Ok(order)
}

fn encode_order(order: &Order) -> Result<String, StoreError> {
    serde_json::to_string(order)
        .map_err(|e| StoreError::Other(format!("order does not serialize: {e}")))
}

fn create(
    conn: &mut Connection,
    order: &Order,
    record: Option<&IdempotencyRecord>,
) -> Result<CreateOutcome, StoreError> {
    let doc = encode_order(order)?;
    let order_id = order.order_id.to_string();
    let tx = conn.savepoint().map_err(map_err)?;
    if let Some(rec) = record {
        // A live record wins: nothing is written (the transaction rolls back
        // when dropped). An expired one is replaced below. "Now" is the
        // request's time the use case gave (the order's createdAt).
        if let Some(existing) = read_record(&tx, &rec.key)? {
            if !existing.is_expired(order.created_at.timestamp()) {
                return Ok(CreateOutcome::KeyExists(existing));
            }
        }
    }
    let inserted = tx
        .prepare_cached(
            "INSERT INTO orders (order_id, status, sort_key, customer_email, customer_phone, doc) \
             VALUES (?1, ?2, ?3, ?4, ?5, ?6) ON CONFLICT (order_id) DO NOTHING",
        )
        .and_then(|mut s| {
            s.execute(params![
                order_id,
                order.status.as_str(),
                order.sort_key(),
                order.customer_email,
                order.customer_phone,
                doc
            ])
        })
        .map_err(map_err)?;
    if inserted == 0 {
        return Err(StoreError::OrderExists(order_id));
    }
    if let Some(rec) = record {
        tx.prepare_cached(
            "INSERT OR REPLACE INTO idempotency \
             (key, request_hash, order_id, status_code, response_body, expires_at) \
             VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        )
        .and_then(|mut s| {
            s.execute(params![
                rec.key,
                rec.request_hash,
                rec.order_id.to_string(),
                rec.status_code,
                rec.response_body,
                rec.expires_at
            ])
        })
        .map_err(map_err)?;
    }
    outbox::write_order_created(&tx, order).map_err(map_err)?;
    tx.commit().map_err(map_err)?;
    Ok(CreateOutcome::Created)
}

fn get(conn: &Connection, order_id: &str) -> Result<Option<Order>, StoreError> {
    let mut stmt = conn
        .prepare_cached(&format!(
            "SELECT {ORDER_COLUMNS} FROM orders WHERE order_id = ?1"
        ))
        .map_err(map_err)?;
    let row = stmt
        .query_row([order_id], order_row)
        .optional()
        .map_err(map_err)?;
    row.map(|(doc, contacts)| decode_order(&doc, contacts))
        .transpose()
}

fn list(conn: &Connection, q: &ListQuery) -> Result<ListPage, StoreError> {
    let (cmp, dir) = match q.order {
        SortOrder::Asc => (">", "ASC"),
        SortOrder::Desc => ("<", "DESC"),
    };
    let mut conds = Vec::with_capacity(2);
    let mut args: Vec<&dyn rusqlite::ToSql> = Vec::with_capacity(3);
    let status = q.status.map(|s| s.as_str());
    if let Some(s) = &status {
        args.push(s);
        conds.push(format!("status = ?{}", args.len()));
    }
    if let Some(after) = &q.after {
        args.push(after);
        conds.push(format!("sort_key {cmp} ?{}", args.len()));
    }
    let fetch = i64::from(q.limit) + 1;
    args.push(&fetch);
    let limit_param = args.len();
    let filter = if conds.is_empty() {
        String::new()
    } else {
        format!("WHERE {}", conds.join(" AND "))
    };
    let sql = format!(
        "SELECT {ORDER_COLUMNS} FROM orders {filter} ORDER BY sort_key {dir} LIMIT ?{limit_param}"
    );
    let mut stmt = conn.prepare_cached(&sql).map_err(map_err)?;
    let rows = stmt
        .query_map(args.as_slice(), order_row)
        .map_err(map_err)?;
    let mut orders = Vec::with_capacity(q.limit as usize + 1);
    for row in rows {
        let (doc, contacts) = row.map_err(map_err)?;
        orders.push(decode_order(&doc, contacts)?);
    }
    let has_more = orders.len() > q.limit as usize;
    orders.truncate(q.limit as usize);
    Ok(ListPage { orders, has_more })
}

/// The conditional status move, in one write transaction: the order row is
/// read, and rewritten (status column and document, with `statusReason` and
/// `statusDetail`) only if its status is still `change.from`; the move's
/// `OrderStatusChanged` goes into the outbox in the same transaction, so the
/// event exists exactly when the move does. Another process's writer waits
/// for the transaction (IMMEDIATE), and this process's writers queue on the
/// writer mutex, so of concurrent moves of one order exactly one sees its
/// `from`. A move the lifecycle does not allow has no event and is refused
/// before anything is read.
fn transition(
    conn: &mut Connection,
    change: &StatusChange,
) -> Result<TransitionOutcome, StoreError> {
    let event = change.event()?;
    let order_id = change.order_id.to_string();
    let tx = conn.savepoint().map_err(map_err)?;
    let Some(mut order) = get(&tx, &order_id)? else {
        return Ok(TransitionOutcome::NotFound);
    };
    // The saga's fence: an order whose compensation began never completes.
    let fenced = change.to == OrderStatus::Completed && order.compensation_started_at.is_some();
    if order.status != change.from || fenced {
        return Ok(TransitionOutcome::Unchanged(order));
    }
    order.status = change.to;
    order.status_reason = change.reason.clone();
    order.status_detail = change.detail.clone();
    order.updated_at = change.at;
    let doc = encode_order(&order)?;
    let updated = tx
        .prepare_cached(
            "UPDATE orders SET status = ?3, doc = ?4 WHERE order_id = ?1 AND status = ?2",
        )
        .and_then(|mut s| {
            s.execute(params![
                order_id,
                change.from.as_str(),
                change.to.as_str(),
                doc
            ])
        })
        .map_err(map_err)?;
    if updated != 1 {
        // Cannot happen inside the transaction; refuse rather than guess.
        return Err(StoreError::Other(format!(
            "order {order_id} changed during its status transaction"
        )));
    }
    outbox::write_status_changed(&tx, event).map_err(map_err)?;
    // Read back what was stored (timestamps keep milliseconds), as DynamoDB
    // returns the item after the update.
    let stored = get(&tx, &order_id)?
        .ok_or_else(|| StoreError::Other(format!("order {order_id} vanished in its update")))?;
    tx.commit().map_err(map_err)?;
    Ok(TransitionOutcome::Moved(stored))
}

/// Begins the order's compensation: sets `compensation_started_at` once, on
/// a PROCESSING order only. No outbox row: it is no status change.
fn begin_compensation(
    conn: &mut Connection,
    order_id: Uuid,
    at: DateTime<Utc>,
) -> Result<CompensationStart, StoreError> {
    let id = order_id.to_string();
    let tx = conn.savepoint().map_err(map_err)?;
    let Some(order) = get(&tx, &id)? else {
        return Ok(CompensationStart::NotFound);
    };
    if order.status != OrderStatus::Processing {
        return Ok(CompensationStart::NotProcessing(order));
    }
    if order.compensation_started_at.is_some() {
        return Ok(CompensationStart::Begun(order));
    }
    tx.prepare_cached(
        "UPDATE orders SET compensation_started_at = ?2 \
         WHERE order_id = ?1 AND status = 'PROCESSING' AND compensation_started_at IS NULL",
    )
    .and_then(|mut s| s.execute(params![id, at.timestamp_millis()]))
    .map_err(map_err)?;
    let stored = get(&tx, &id)?
        .ok_or_else(|| StoreError::Other(format!("order {id} vanished in its update")))?;
    tx.commit().map_err(map_err)?;
    Ok(CompensationStart::Begun(stored))
}

/// Whether the saga may record a charge intent or a reservation for the
/// order: PROCESSING, compensation not begun. Read inside the caller's
/// transaction, which holds the write lock, so the answer stands until it
/// commits.
pub(crate) fn accepts_saga_progress(conn: &Connection, order_id: Uuid) -> Result<bool, StoreError> {
    Ok(get(conn, &order_id.to_string())?.is_some_and(|o| o.accepts_saga_progress()))
}

#[async_trait::async_trait]
impl SagaFence for SqliteStore {
    async fn begin_compensation(
        &self,
        order_id: Uuid,
        at: DateTime<Utc>,
    ) -> Result<CompensationStart, StoreError> {
        self.with_writer_store(move |c| begin_compensation(c, order_id, at))
            .await
    }
}

#[async_trait::async_trait]
impl OrderStatusUpdater for SqliteStore {
    async fn transition(&self, change: &StatusChange) -> Result<TransitionOutcome, StoreError> {
        let change = change.clone();
        let outcome = self
            .with_writer_store(move |c| transition(c, &change))
            .await;
        match &outcome {
            // The move and its `OrderStatusChanged` outbox row are committed.
            Ok(TransitionOutcome::Moved(_)) => self.outbox_committed(),
            Ok(_) => {}
            Err(e) => tracing::warn!(error = %e, "sqlite status transition failed"),
        }
        outcome
    }
}

#[async_trait::async_trait]
impl OrderWriter for SqliteStore {
    async fn create_order(
        &self,
        order: &Order,
        idempotency: Option<&IdempotencyRecord>,
    ) -> Result<CreateOutcome, StoreError> {
        let order = order.clone();
        let record = idempotency.cloned();
        let outcome = self
            .with_writer_store(move |c| create(c, &order, record.as_ref()))
            .await;
        match &outcome {
            // The order and its `OrderCreated` outbox row are committed.
            Ok(CreateOutcome::Created) => self.outbox_committed(),
            Ok(CreateOutcome::KeyExists(_)) | Err(StoreError::OrderExists(_)) => {}
            Err(e) => tracing::warn!(error = %e, "sqlite create failed"),
        }
        outcome
    }
}

#[async_trait::async_trait]
impl OrderReader for SqliteStore {
    async fn get_order(&self, order_id: Uuid) -> Result<Option<Order>, StoreError> {
        let inner = self.inner.clone();
        blocking(move || inner.read(|c| get(c, &order_id.to_string()))).await
    }
}

#[async_trait::async_trait]
impl OrderLister for SqliteStore {
    async fn list_orders(&self, query: &ListQuery) -> Result<ListPage, StoreError> {
        let inner = self.inner.clone();
        let query = query.clone();
        blocking(move || inner.read(|c| list(c, &query))).await
    }
}
