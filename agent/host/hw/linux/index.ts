// fleetlet's Linux hardware backends: the public surface (re-exports only).
export { linuxHardware } from './linux-hardware.ts';
export type { LinuxHardwareConfig, LinuxHardwareOptions } from './linux-hardware.ts';
export { SysfsSensorBackend } from './sysfs-sensors.ts';
export type { SysfsSensorOptions } from './sysfs-sensors.ts';
export { GpiodGpio } from './gpiod-gpio.ts';
export type { GpiodGpioOptions } from './gpiod-gpio.ts';
export { detectGpiodVersion, GPIOD_V1, GPIOD_V2 } from './gpiod-tools.ts';
export type { GpiodDialect, GpiodVersion, LineAddress } from './gpiod-tools.ts';
export { nodeProcessRunner } from './process.ts';
export type { ExitStatus, KillSignal, ProcessRunner, RunningProcess } from './process.ts';
export { SerialportSerial } from './serialport-serial.ts';
export type { SerialportSerialOptions } from './serialport-serial.ts';
