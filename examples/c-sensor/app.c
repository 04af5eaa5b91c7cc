// The C example (a WASI command built with clang and wasi-libc): reads a sensor through fleetlet's
// host API N times (argv[1], default 3), a second apart, and prints each reading with printf.
//
// Ordinary C: stdio, getenv and main come from wasi-libc (WASI preview1, which fleetlet's host
// offers); the two fleetlet functions are declared below with their import names, with the types
// of schemas/host-imports.ts. SENSOR (a per-device setting, so an environment variable) names
// the sensor. Build: npm run examples:build (needs Debian's clang, lld, wasi-libc and
// libclang-rt-14-dev-wasm32); the built module is committed beside this file.

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* sensor_read(name_ptr, name_len, out_f64_ptr) -> status; needs sensor:<name>:read */
__attribute__((import_module("fleetlet:host/v1"), import_name("sensor_read")))
int32_t fleetlet_sensor_read(const char *name, uint32_t name_len, double *out);

/* sleep(ms) -> status: the agent runs other apps meanwhile */
__attribute__((import_module("fleetlet:host/v1"), import_name("sleep")))
int32_t fleetlet_sleep(int32_t ms);

int main(int argc, char **argv) {
  int samples = argc > 1 ? atoi(argv[1]) : 3;
  const char *setting = getenv("SENSOR");
  const char *sensor = setting != NULL ? setting : "temperature";
  for (int i = 0; i < samples; i++) {
    if (i > 0) fleetlet_sleep(1000);
    double value;
    int32_t status = fleetlet_sensor_read(sensor, (uint32_t)strlen(sensor), &value);
    if (status < 0) {
      fprintf(stderr, "cannot read %s: status %d\n", sensor, (int)status);
      return 1;
    }
    printf("%s %.2f\n", sensor, value);
  }
  return 0;
}
