/**
 * A listen port for a test server: above Linux's default ephemeral range (32768-60999), where the
 * kernel picks the local ports of outgoing connections, so a client socket of this or a parallel
 * test never holds it, not even while a server restarts on it. A server started as a child process
 * exits when its port is taken, and a test cannot retry that as startServer does.
 */
export function randomPort(): number {
  return 61000 + Math.floor(Math.random() * 4500);
}
