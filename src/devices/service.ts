// What other features and the plugin may use of the device registry.
export {
  type Caller,
  type DeviceDeps,
  type DeviceView,
  listDevices,
  PREVIOUS_SECRET_HOURS,
  registerDevice,
  renameDevice,
  revokeDevice,
  rotateDeviceSecret,
} from './registry.ts'
export { type DeviceSigner, deviceSigner, markDeviceSeen } from './signing.ts'
