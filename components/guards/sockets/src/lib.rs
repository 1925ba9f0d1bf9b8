//! `guard-sockets`: an instance gets no sockets. Creating a TCP or UDP
//! socket, or looking up a name, fails with `access-denied`; network
//! access goes through `wasi:http` and `@allow-host` instead.

#![cfg_attr(target_arch = "wasm32", no_std)]

extern crate alloc;

wit_bindgen::generate!({ path: "../../../wit/guards", world: "sockets", generate_all });

use exports::wasi::sockets::ip_name_lookup::{
    Guest as Lookup, GuestResolveAddressStream, IpAddress, ResolveAddressStream,
};
use exports::wasi::sockets::tcp_create_socket::Guest as Tcp;
use exports::wasi::sockets::udp_create_socket::Guest as Udp;
use wasi::io::poll::Pollable;
use wasi::sockets::network::{ErrorCode, IpAddressFamily, Network};
use wasi::sockets::tcp::TcpSocket;
use wasi::sockets::udp::UdpSocket;

// The allocator, panic handler and memcmp of a no_std component.
use guard_support as _;

struct Guard;

impl Tcp for Guard {
    fn create_tcp_socket(_: IpAddressFamily) -> Result<TcpSocket, ErrorCode> {
        Err(ErrorCode::AccessDenied)
    }
}

impl Udp for Guard {
    fn create_udp_socket(_: IpAddressFamily) -> Result<UdpSocket, ErrorCode> {
        Err(ErrorCode::AccessDenied)
    }
}

impl Lookup for Guard {
    type ResolveAddressStream = NoAddresses;

    fn resolve_addresses(
        _: &Network,
        _: alloc::string::String,
    ) -> Result<ResolveAddressStream, ErrorCode> {
        Err(ErrorCode::AccessDenied)
    }
}

/// The stream of a lookup, which is never made.
pub struct NoAddresses;

impl GuestResolveAddressStream for NoAddresses {
    fn resolve_next_address(&self) -> Result<Option<IpAddress>, ErrorCode> {
        Err(ErrorCode::AccessDenied)
    }

    fn subscribe(&self) -> Pollable {
        unreachable!("no lookup stream is ever created")
    }
}

export!(Guard);
