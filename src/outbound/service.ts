// What other features and the plugin may use of outbound webhooks.
export {
  checkUrl,
  createEndpoint,
  deleteEndpoint,
  endpointView,
  listEndpoints,
  type OutboundDeps,
  rotateSecret,
  updateEndpoint,
} from './endpoints.ts'
export { getEndpoint } from './queries.ts'
export { listDeliveries, redeliver } from './deliveries.ts'
export { outboundWorker } from './worker.ts'
