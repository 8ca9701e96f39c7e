/**
 * libc.ts — the one binding to the C library, through Deno's FFI.
 *
 * PostgreSQL counterpart: none (PostgreSQL calls libc directly); this is the
 * port layer that src/backend/port/ plays for PostgreSQL.
 *
 * NOTES
 * Every process opens libc once, lazily, on first use. Only integer and
 * pointer arguments are passed, so the variadic `syscall`, `fcntl` and
 * `prctl` are safe to declare with fixed parameter lists on x86_64 and
 * aarch64 Linux. Errors: a call returning -1 leaves its reason in errno,
 * read with {@link errno} right after the call, before any other FFI call.
 * Symbols marked `nonblocking` run on a worker thread and return a Promise,
 * so the caller's event loop keeps running while the call sleeps.
 * Requires `--allow-ffi`.
 *
 * @module
 */

const _SYMBOLS = {
  __errno_location: { parameters: [], result: "pointer" },
  strerror: { parameters: ["i32"], result: "pointer" },
  getpid: { parameters: [], result: "i32" },
  // Shared memory.
  shm_open: { parameters: ["buffer", "i32", "u32"], result: "i32" },
  shm_unlink: { parameters: ["buffer"], result: "i32" },
  ftruncate: { parameters: ["i32", "i64"], result: "i32" },
  mmap: { parameters: ["pointer", "usize", "i32", "i32", "i32", "i64"], result: "pointer" },
  munmap: { parameters: ["pointer", "usize"], result: "i32" },
  close: { parameters: ["i32"], result: "i32" },
  fcntl: { parameters: ["i32", "i32", "i32"], result: "i32" },
  // futex(2) through syscall(2): (SYS_futex, uaddr, op, val, timeout, uaddr2, val3).
  syscall_futex: {
    name: "syscall",
    parameters: ["i64", "pointer", "i32", "i32", "pointer", "pointer", "i32"],
    result: "i64",
  },
  syscall_futex_async: {
    name: "syscall",
    parameters: ["i64", "pointer", "i32", "i32", "pointer", "pointer", "i32"],
    result: "i64",
    nonblocking: true,
  },
  // Process title (PR_SET_NAME: the kernel's 15-character comm).
  prctl: { parameters: ["i32", "buffer", "u64", "u64", "u64"], result: "i32" },
  // Sockets.
  socket: { parameters: ["i32", "i32", "i32"], result: "i32" },
  socketpair: { parameters: ["i32", "i32", "i32", "buffer"], result: "i32" },
  bind: { parameters: ["i32", "buffer", "u32"], result: "i32" },
  listen: { parameters: ["i32", "i32"], result: "i32" },
  accept4: { parameters: ["i32", "buffer", "buffer", "i32"], result: "i32" },
  setsockopt: { parameters: ["i32", "i32", "i32", "buffer", "u32"], result: "i32" },
  getsockname: { parameters: ["i32", "buffer", "buffer"], result: "i32" },
  sendmsg: { parameters: ["i32", "buffer", "i32"], result: "i64" },
  recvmsg: { parameters: ["i32", "buffer", "i32"], result: "i64" },
  recvmsg_async: { name: "recvmsg", parameters: ["i32", "buffer", "i32"], result: "i64", nonblocking: true },
  read_async: { name: "read", parameters: ["i32", "buffer", "usize"], result: "i64", nonblocking: true },
  write: { parameters: ["i32", "buffer", "usize"], result: "i64" },
  poll: { parameters: ["buffer", "u64", "i32"], result: "i32" },
  poll_async: { name: "poll", parameters: ["buffer", "u64", "i32"], result: "i32", nonblocking: true },
  // Processes (postmaster, ctl): kill(pid, 0) probes whether a process exists, as PostgreSQL does.
  kill: { parameters: ["i32", "i32"], result: "i32" },
  // Sockets (postmaster): non-blocking reads of a spare backend's ready byte and of the wake-up pair.
  recv: { parameters: ["i32", "buffer", "usize", "i32"], result: "i64" },
  // System parameters (procfs.ts: clock ticks of /proc times, page size of /proc rss).
  sysconf: { parameters: ["i32"], result: "i64" },
  // Directories (procfs.ts lists /proc and /proc/<pid>/task: Deno 2.9 refuses any /proc read without --allow-all).
  // readdir returns glibc's struct dirent64 on 64-bit Linux: d_name at byte 19.
  opendir: { parameters: ["buffer"], result: "pointer" },
  readdir: { parameters: ["pointer"], result: "pointer" },
  closedir: { parameters: ["pointer"], result: "i32" },
  // Files (storage manager, WAL, pg_control): positional I/O and durability.
  open: { parameters: ["buffer", "i32", "u32"], result: "i32" },
  pread: { parameters: ["i32", "buffer", "usize", "i64"], result: "i64" },
  pwrite: { parameters: ["i32", "buffer", "usize", "i64"], result: "i64" },
  fsync: { parameters: ["i32"], result: "i32" },
  fdatasync: { parameters: ["i32"], result: "i32" },
  lseek: { parameters: ["i32", "i64", "i32"], result: "i64" },
  // Shared memory (shmem): reserve the segment's pages up front (no SIGBUS later), as PostgreSQL's dsm_impl_posix_resize.
  posix_fallocate: { parameters: ["i32", "i64", "i64"], result: "i32" },
  // Shared memory (shmem): a waiter notices that the postmaster died (it was re-parented).
  getppid: { parameters: [], result: "i32" },
  // Client sockets (backend, lib/protocol/pq_socket.ts): output written straight to the descriptor, and a spare's
  // wait for a client ended on SIGTERM (shutdown(SHUT_RD) wakes the recvmsg blocked on a worker thread).
  send: { parameters: ["i32", "buffer", "usize", "i32"], result: "i64" },
  shutdown: { parameters: ["i32", "i32"], result: "i32" },
} as const satisfies Deno.ForeignLibraryInterface;

/** The libc symbols denogres uses. */
export type Libc = Deno.DynamicLibrary<typeof _SYMBOLS>["symbols"];

let _lib: Deno.DynamicLibrary<typeof _SYMBOLS> | undefined;

/**
 * Returns the libc binding, opening it on first use.
 *
 * @returns the symbols
 * @example
 * ```ts
 * const pid = libc().getpid();
 * ```
 */
export function libc(): Libc {
  _lib ??= Deno.dlopen("libc.so.6", _SYMBOLS);
  return _lib.symbols;
}

/**
 * Reads errno. Call it immediately after the failing call.
 *
 * @returns the current thread's errno
 */
export function errno(): number {
  const p = libc().__errno_location();
  if (p === null) return 0;
  return new Deno.UnsafePointerView(p).getInt32();
}

/**
 * Describes an errno value as strerror(3) does ("No such file or directory").
 *
 * @param code an errno value
 * @returns the description
 */
export function strerror(code: number): string {
  const p = libc().strerror(code);
  return p === null ? `errno ${code}` : Deno.UnsafePointerView.getCString(p);
}

/**
 * Encodes a string as a NUL-terminated C string.
 *
 * @param s the string
 * @returns its bytes with a trailing NUL
 */
export function cString(s: string): Uint8Array<ArrayBuffer> {
  const bytes = new TextEncoder().encode(s);
  const out = new Uint8Array(bytes.length + 1);
  out.set(bytes);
  return out;
}

/** Constants of Linux (x86_64 and aarch64 share these values). */
export const LinuxConst = {
  O_RDONLY: 0,
  O_RDWR: 2,
  O_CREAT: 0o100,
  O_EXCL: 0o200,
  PROT_READ: 1,
  PROT_WRITE: 2,
  MAP_SHARED: 1,
  F_GETFD: 1,
  F_SETFD: 2,
  FD_CLOEXEC: 1,
  FUTEX_WAIT: 0,
  FUTEX_WAKE: 1,
  PR_SET_NAME: 15,
  AF_UNIX: 1,
  AF_INET: 2,
  AF_INET6: 10,
  SOCK_STREAM: 1,
  SOCK_NONBLOCK: 0o4000,
  SOCK_CLOEXEC: 0o2000000,
  SOL_SOCKET: 1,
  SO_REUSEADDR: 2,
  SO_KEEPALIVE: 9,
  IPPROTO_TCP: 6,
  TCP_NODELAY: 1,
  IPV6_V6ONLY: 26,
  IPPROTO_IPV6: 41,
  SCM_RIGHTS: 1,
  POLLIN: 1,
  EINTR: 4,
  EAGAIN: 11,
  ENOENT: 2,
  EEXIST: 17,
  ETIMEDOUT: 110,
  EADDRINUSE: 98,
  ESRCH: 3,
  ECONNABORTED: 103,
  POLLERR: 8,
  POLLHUP: 16,
  MSG_DONTWAIT: 0x40,
  MSG_NOSIGNAL: 0x4000,
  MSG_CMSG_CLOEXEC: 0x40000000,
  SOCK_SEQPACKET: 5,
  O_WRONLY: 1,
  O_TRUNC: 0o1000,
  O_APPEND: 0o2000,
  O_CLOEXEC: 0o2000000,
  SEEK_SET: 0,
  SEEK_END: 2,
  ENOSPC: 28,
  EBADF: 9,
  SIGINT: 2,
  SIGTERM: 15,
  _SC_CLK_TCK: 2,
  _SC_PAGESIZE: 30,
  SIGUSR1: 10,
  ENOMEM: 12,
  EACCES: 13,
  EPIPE: 32,
  ECONNRESET: 104,
  POLLOUT: 4,
  SHUT_RD: 0,
  MSG_CTRUNC: 0x8,
} as const;

/** The futex system call's number for this architecture. */
export const SYS_FUTEX = Deno.build.arch === "x86_64" ? 202 : 98;
