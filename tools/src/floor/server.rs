//! The floor server: tables of seats, each seat's WebSocket, and for every command one small frame
//! to each connection of its game.

use std::collections::HashMap;
use std::net::TcpListener;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use actix::{Actor, ActorContext, Addr, AsyncContext, Handler, Message, StreamHandler};
use actix_web::{web, App, HttpRequest, HttpResponse, HttpServer};
use actix_web_actors::ws;
use bytestring::ByteString;
use clap::Args;
use parking_lot::Mutex;
use serde::Deserialize;

/// Where the floor server listens.
#[derive(Debug, Clone, Args)]
pub struct ServeArgs {
    /// The address to listen on.
    #[arg(long, default_value = "127.0.0.1")]
    pub host: String,
    /// The port to listen on (0: any free one, printed on standard output).
    #[arg(long, default_value_t = 8090)]
    pub port: u16,
}

/// Seats a table takes at most.
const MAX_SEATS: u8 = 16;

/// One game: its seats' connections and whose turn it is.
#[derive(Default)]
struct Table {
    /// Seats joined so far (a seat's token is `<gameId>.<seat>`).
    seats: u8,
    /// The open connection of each seat.
    connections: Vec<Option<Addr<SeatSocket>>>,
    /// The last event id sent.
    event_id: u64,
    /// The seat to move.
    turn: u8,
}

/// Every table, by game id.
#[derive(Default)]
struct Tables {
    next_id: AtomicU64,
    games: Mutex<HashMap<String, Arc<Mutex<Table>>>>,
}

impl Tables {
    fn get(&self, game_id: &str) -> Option<Arc<Mutex<Table>>> {
        self.games.lock().get(game_id).cloned()
    }
}

/// Serves until the process is killed.
pub fn main(args: ServeArgs) -> std::process::ExitCode {
    let listener = match TcpListener::bind((args.host.as_str(), args.port)) {
        Ok(listener) => listener,
        Err(e) => {
            eprintln!(
                "caravan-floor serve: cannot listen on {}:{}: {e}",
                args.host, args.port
            );
            return std::process::ExitCode::from(2);
        }
    };
    if let Ok(address) = listener.local_addr() {
        println!("listening on http://{address}");
    }
    match actix_web::rt::System::new().block_on(serve(listener)) {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("caravan-floor serve: {e}");
            std::process::ExitCode::FAILURE
        }
    }
}

/// Serves the floor's routes on `listener` (tests run it on port 0).
pub async fn serve(listener: TcpListener) -> std::io::Result<()> {
    let tables = web::Data::new(Tables::default());
    HttpServer::new(move || {
        App::new()
            .app_data(tables.clone())
            .route(
                "/health",
                web::get().to(|| async { HttpResponse::Ok().finish() }),
            )
            .route("/api/games", web::post().to(create))
            .route("/api/games/{id}/join", web::post().to(join))
            .route("/ws", web::get().to(connect))
    })
    // As caravan: small frames leave at once.
    .tcp_nodelay(true)
    .listen(listener)?
    .run()
    .await
}

/// `POST /api/games` → `201 {"gameId": …}`.
async fn create(tables: web::Data<Tables>) -> HttpResponse {
    let id = format!("f{}", tables.next_id.fetch_add(1, Ordering::Relaxed) + 1);
    tables
        .games
        .lock()
        .insert(id.clone(), Arc::new(Mutex::new(Table::default())));
    HttpResponse::Created().json(serde_json::json!({ "gameId": id }))
}

/// `POST /api/games/{id}/join` → `{"seat": n, "token": …}`; the body is not read.
async fn join(tables: web::Data<Tables>, id: web::Path<String>) -> HttpResponse {
    let Some(table) = tables.get(&id) else {
        return HttpResponse::NotFound().finish();
    };
    let mut table = table.lock();
    if table.seats >= MAX_SEATS {
        return HttpResponse::Conflict().finish();
    }
    let seat = table.seats;
    table.seats += 1;
    table.connections.push(None);
    HttpResponse::Ok().json(serde_json::json!({ "seat": seat, "token": format!("{id}.{seat}") }))
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct WsQuery {
    game_id: String,
    token: String,
}

/// `GET /ws?gameId=…&token=…`: the seat's WebSocket.
async fn connect(
    req: HttpRequest,
    payload: web::Payload,
    tables: web::Data<Tables>,
    query: web::Query<WsQuery>,
) -> actix_web::Result<HttpResponse> {
    let seat = query
        .token
        .strip_prefix(query.game_id.as_str())
        .and_then(|rest| rest.strip_prefix('.'))
        .and_then(|seat| seat.parse::<u8>().ok());
    let (Some(seat), Some(table)) = (seat, tables.get(&query.game_id)) else {
        return Ok(HttpResponse::Forbidden().finish());
    };
    if usize::from(seat) >= table.lock().connections.len() {
        return Ok(HttpResponse::Forbidden().finish());
    }
    ws::start(SeatSocket { seat, table }, &req, payload)
}

/// One seat's connection.
struct SeatSocket {
    seat: u8,
    table: Arc<Mutex<Table>>,
}

/// A frame for this connection, written as it is.
#[derive(Message)]
#[rtype(result = "()")]
struct Frame(ByteString);

impl Actor for SeatSocket {
    type Context = ws::WebsocketContext<Self>;

    fn started(&mut self, ctx: &mut Self::Context) {
        self.table.lock().connections[usize::from(self.seat)] = Some(ctx.address());
    }

    fn stopped(&mut self, _ctx: &mut Self::Context) {
        self.table.lock().connections[usize::from(self.seat)] = None;
    }
}

impl Handler<Frame> for SeatSocket {
    type Result = ();

    fn handle(&mut self, frame: Frame, ctx: &mut Self::Context) {
        ctx.text(frame.0);
    }
}

/// What the floor reads of a command frame.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct CommandFrame<'a> {
    #[serde(borrow)]
    request_id: &'a str,
}

impl SeatSocket {
    /// A command from this seat: one update to every connection of the game, or a refusal to
    /// this one when it is not this seat's turn.
    fn command(&mut self, text: &str, ctx: &mut ws::WebsocketContext<Self>) {
        let Ok(command) = serde_json::from_str::<CommandFrame<'_>>(text) else {
            ctx.text(r#"{"type":"error","error":{"code":"invalid_message"}}"#);
            return;
        };
        let mut table = self.table.lock();
        if table.turn != self.seat {
            drop(table);
            ctx.text(format!(
                r#"{{"type":"commandResult","requestId":{},"ok":false,"error":{{"code":"not_your_turn"}}}}"#,
                serde_json::Value::from(command.request_id)
            ));
            return;
        }
        table.event_id += 1;
        let seats = table.connections.len() as u8;
        table.turn = (table.turn + 1) % seats.max(1);
        let frame = ByteString::from(format!(
            r#"{{"type":"update","eventId":{},"by":{},"next":{},"requestId":{}}}"#,
            table.event_id,
            self.seat,
            table.turn,
            serde_json::Value::from(command.request_id)
        ));
        for connection in table.connections.iter().flatten() {
            connection.do_send(Frame(frame.clone()));
        }
    }
}

impl StreamHandler<Result<ws::Message, ws::ProtocolError>> for SeatSocket {
    fn handle(&mut self, message: Result<ws::Message, ws::ProtocolError>, ctx: &mut Self::Context) {
        match message {
            Ok(ws::Message::Text(text)) => self.command(&text, ctx),
            Ok(ws::Message::Ping(bytes)) => ctx.pong(&bytes),
            Ok(ws::Message::Close(reason)) => {
                ctx.close(reason);
                ctx.stop();
            }
            Ok(_) => {}
            Err(_) => ctx.stop(),
        }
    }
}
