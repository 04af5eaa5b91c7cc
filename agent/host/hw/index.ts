// fleetlet's hardware interfaces: the public surface (re-exports only). The Linux backends are
// in ./linux/index.ts (they load the serialport native module); the simulated ones in device-sim/.
export type { HardwareBackends } from './backends.ts';
export { abortError, HardwareError, isHardwareError } from './errors.ts';
export type { HardwareErrorCode } from './errors.ts';
export { edgeMatches } from './gpio.ts';
export type {
  GpioBackend,
  GpioBias,
  GpioDirection,
  GpioEdge,
  GpioEdgeEvent,
  GpioLineConfig,
  GpioLineInfo,
  GpioValue,
  GpioWaitOptions,
} from './gpio.ts';
export { ManualTime, settle } from './manual-time.ts';
export type { SensorBackend, SensorInfo, SensorReading, SensorReadOptions, SensorUnit } from './sensor.ts';
export { DEFAULT_SERIAL_BUFFER_BYTES, MAX_SERIAL_BUFFER_BYTES, MAX_SERIAL_WRITE_BYTES, SERIAL_BAUD_RATES } from './serial.ts';
export type {
  SerialBackend,
  SerialOpenOptions,
  SerialParity,
  SerialPortHandle,
  SerialReadOptions,
  SerialStats,
  SerialWriteOptions,
} from './serial.ts';
export { systemTime } from './time.ts';
export type { Clock, TimerHandle, Timers, TimeSource } from './time.ts';
