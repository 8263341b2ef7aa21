//! A minimal blocking client: one TCP connection, one request at a time.
//! For shell commands, benchmarks and tests; the MCP server has its own
//! reconnecting client.

use std::io::{BufRead, BufReader, Write};
use std::net::TcpStream;
use std::time::Duration;

use crate::calls::Call;
use crate::{HelloParams, HelloResult, PROTOCOL_VERSION, Request, Response};

/// A connection to a daemon.
pub struct Client {
    reader: BufReader<TcpStream>,
    writer: TcpStream,
    next_id: u64,
}

impl Client {
    /// Connects to a daemon on the loopback port, without saying hello.
    pub fn connect(port: u16, timeout: Duration) -> std::io::Result<Client> {
        let stream =
            TcpStream::connect_timeout(&(std::net::Ipv4Addr::LOCALHOST, port).into(), timeout)?;
        stream.set_nodelay(true)?;
        stream.set_read_timeout(Some(timeout))?;
        Ok(Client {
            reader: BufReader::new(stream.try_clone()?),
            writer: stream,
            next_id: 0,
        })
    }

    /// Connects and authenticates with the lockfile's token.
    pub fn connect_with_token(
        port: u16,
        token: &str,
        client: &str,
        timeout: Duration,
    ) -> std::io::Result<(Client, HelloResult)> {
        let mut c = Client::connect(port, timeout)?;
        let hello = c
            .call(
                "hello",
                HelloParams {
                    token: token.to_string(),
                    client: Some(client.to_string()),
                    protocol: Some(PROTOCOL_VERSION),
                },
            )?
            .into_result::<HelloResult>()
            .map_err(|e| std::io::Error::new(std::io::ErrorKind::PermissionDenied, e))?;
        Ok((c, hello))
    }

    /// Sends bytes as they are.
    pub fn send_raw(&mut self, bytes: &[u8]) -> std::io::Result<()> {
        self.writer.write_all(bytes)?;
        self.writer.flush()
    }

    /// Reads one response; `Ok(None)` when the daemon closed the connection.
    pub fn receive(&mut self) -> std::io::Result<Option<Response>> {
        let mut line = String::new();
        if self.reader.read_line(&mut line)? == 0 {
            return Ok(None);
        }
        serde_json::from_str(&line)
            .map(Some)
            .map_err(|e| std::io::Error::new(std::io::ErrorKind::InvalidData, e))
    }

    /// Sends a request and waits for its response.
    pub fn call(&mut self, op: &str, params: impl serde::Serialize) -> std::io::Result<Response> {
        self.next_id += 1;
        let request = Request::new(self.next_id, op, params);
        let mut line = serde_json::to_vec(&request)?;
        line.push(b'\n');
        self.send_raw(&line)?;
        let response = self.receive()?.ok_or_else(|| {
            std::io::Error::new(
                std::io::ErrorKind::UnexpectedEof,
                "the daemon closed the connection",
            )
        })?;
        if response.id != self.next_id {
            return Err(std::io::Error::new(
                std::io::ErrorKind::InvalidData,
                format!(
                    "response for id {} while waiting for {}",
                    response.id, self.next_id
                ),
            ));
        }
        Ok(response)
    }

    /// Sends op `C` and decodes its answer: `Ok(Err(_))` is the daemon's
    /// refusal, `Err(_)` a failed exchange or an answer of another shape.
    pub fn op<C: Call>(
        &mut self,
        params: &C::Params,
    ) -> std::io::Result<Result<C::Result, crate::RpcError>> {
        let response = self.call(C::OP, params)?;
        match response.into_result::<serde_json::Value>() {
            Ok(value) => serde_json::from_value(value).map(Ok).map_err(|e| {
                std::io::Error::new(
                    std::io::ErrorKind::InvalidData,
                    format!("the answer to {} is not of its type: {e}", C::OP),
                )
            }),
            Err(err) => Ok(Err(err)),
        }
    }
}
