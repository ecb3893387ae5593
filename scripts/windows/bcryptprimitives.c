/*
 * Test-only stand-in for Windows' bcryptprimitives.dll, for running the
 * Windows build under Wine 8 (Debian 12's wine), which lacks it.
 *
 * Rust's standard library (1.78 and later) imports ProcessPrng from
 * bcryptprimitives.dll, which every Windows 10 and 11 has. Wine added the DLL
 * only in 9.x, so under Debian's wine 8.0 the binary stops before main with
 * "Library bcryptprimitives.dll ... not found". scripts/windows.sh builds this
 * file with mingw-w64 and puts the DLL beside the test executables (Windows
 * looks in the executable's folder first); it is never shipped. It fills the
 * buffer from RtlGenRandom (advapi32's SystemFunction036), which Wine has.
 */
#include <windows.h>

BOOLEAN WINAPI SystemFunction036(PVOID buffer, ULONG length);

BOOL WINAPI ProcessPrng(PBYTE data, SIZE_T length) {
  while (length > 0) {
    ULONG chunk = length > 0x10000000 ? 0x10000000 : (ULONG)length;
    if (!SystemFunction036(data, chunk)) {
      return FALSE;
    }
    data += chunk;
    length -= chunk;
  }
  return TRUE;
}
