//! `guard-sockets`: an instance gets no sockets. Creating a TCP or UDP
//! socket fails with `access-denied`; network access goes through
//! `wasi:http` and `@allow-host` instead.

#![cfg_attr(target_arch = "wasm32", no_std)]

wit_bindgen::generate!({ path: "../../../wit/guards", world: "sockets", generate_all });

use exports::wasi::sockets::tcp_create_socket::Guest as Tcp;
use exports::wasi::sockets::udp_create_socket::Guest as Udp;
use wasi::sockets::network::{ErrorCode, IpAddressFamily};
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

export!(Guard);
