/** dgram socket creation, bind and close as promises, for the main thread's probes and the
 * workers (the UDP counterpart of listen.ts). */
import { createSocket, type Socket } from 'node:dgram';
import { isIPv6 } from 'node:net';

/** A UDP socket for `host`'s family. With `shared`, SO_REUSEPORT lets every worker bind the
 * port and the kernel spreads datagrams over them, as it spreads TCP connections. */
export function udpSocket(host: string, shared: boolean): Socket {
  return createSocket({
    type: isIPv6(host) ? 'udp6' : 'udp4',
    reuseAddr: shared,
    reusePort: shared,
  });
}

/** Binds the socket; returns the port it got (the chosen one for port 0). */
export function bindUdp(socket: Socket, host: string, port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    socket.once('error', reject);
    socket.bind({ address: host, port }, () => {
      socket.off('error', reject);
      resolve(socket.address().port);
    });
  });
}

export function closeUdp(socket: Socket): Promise<void> {
  return new Promise((resolve) => socket.close(() => resolve()));
}
