/**
 * The PostgreSQL frontend/backend protocol 3.0: message reader and writer
 * over a client socket, startup and extended-query message decoding. See
 * README.md.
 *
 * @module
 */
export {
  type BindMessage,
  decodeBind,
  decodeExecute,
  decodeParse,
  decodePassword,
  decodeSaslInitialResponse,
  decodeStartupPacket,
  decodeTarget,
  type ExecuteMessage,
  type ParseMessage,
  splitBackendOptions,
  type StartupPacket,
  type TargetMessage,
} from "./frontend_messages.ts";
export {
  AUTH_TOKEN_MAX_BYTES,
  CANCEL_REQUEST_CODE,
  FrontendMessage,
  NEGOTIATE_GSS_CODE,
  NEGOTIATE_SSL_CODE,
  PG_PROTOCOL_LATEST,
  pqDecodeUtf8,
  pqMaxMessageLength,
  PqMessageCursor,
} from "./pq_message.ts";
export {
  PQ_NEED_MORE,
  PQ_RECV_BUFFER_HIGH_BYTES,
  PQ_RECV_BUFFER_INITIAL_BYTES,
  PqProtocolError,
  PqReader,
  type PqSource,
  type PqStartupRead,
} from "./pq_reader.ts";
export {
  PQ_SEND_BUFFER_INITIAL_BYTES,
  PQ_SEND_BUFFER_KEEP_BYTES,
  PQ_SEND_FLUSH_THRESHOLD_BYTES,
  type PqErrorFields,
  type PqFieldDescription,
  type PqSink,
  PqWriter,
} from "./pq_writer.ts";
export { PQ_SOCKET_READ_BUFFER_BYTES, PqSocket, pqSocketPrewarm } from "./pq_socket.ts";
