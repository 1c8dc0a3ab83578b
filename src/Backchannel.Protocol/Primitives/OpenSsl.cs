using System.Runtime.InteropServices;
using System.Security.Cryptography;

namespace Backchannel.Protocol.Primitives;

/// <summary>
/// OpenSSL's libcrypto, called directly for the two small operations every 1:1 and group message does: AES-256-CBC
/// (<see cref="AesCbc"/>) and the message MAC, HMAC-SHA256 (<see cref="HmacSha256"/>). It is the same library
/// .NET's <c>System.Security.Cryptography</c> runs on Linux; the difference is the per-call overhead. .NET's one-shot
/// calls use OpenSSL's legacy algorithm handles, so OpenSSL 3.0 looks each algorithm up again on every call (a hash
/// table under a process-wide read-write lock, string compares, allocations): 2–4 µs of a 160-byte AES-CBC or
/// HMAC, and worse with several threads. Here each algorithm is fetched once and each thread keeps one context, so a
/// call costs about 1 µs (BENCHMARKS.md, "Changes made to src/Backchannel.Protocol", row 9).
/// <para>
/// Used only where libcrypto.so.3 loads and exports what is needed (Linux with OpenSSL 3); elsewhere, or with the
/// environment variable <c>BACKCHANNEL_OPENSSL_DIRECT=0</c>, callers use .NET's APIs, which give the same bytes
/// (tests compare the two). Key material never stays in a context after a call: the cipher context is reset (OpenSSL
/// frees its key schedule with <c>OPENSSL_clear_free</c>) and the MAC context is re-keyed with zeros.
/// </para>
/// </summary>
internal static unsafe class OpenSsl
{
    private const string DisableVariable = "BACKCHANNEL_OPENSSL_DIRECT";

    // OSSL_PARAM data types (openssl/core.h).
    private const uint ParamUtf8String = 4;

    private static readonly Libcrypto? s_api = Load();

    /// <summary>Whether the direct calls are in use (else callers take .NET's APIs).</summary>
    internal static bool IsAvailable => s_api is not null;

    /// <summary>Why the direct calls are not in use, for diagnostics; null when they are.</summary>
    internal static string? UnavailableReason { get; private set; }

    [ThreadStatic]
    private static ThreadContexts? t_contexts;

    /// <summary>
    /// AES-256-CBC with PKCS#7 padding into <paramref name="destination"/>, which is exactly
    /// <see cref="AesCbc.CiphertextLength"/> long.
    /// </summary>
    internal static void AesCbcEncrypt(ReadOnlySpan<byte> key, ReadOnlySpan<byte> iv, ReadOnlySpan<byte> plaintext, Span<byte> destination)
    {
        if (destination.Length != AesCbc.CiphertextLength(plaintext.Length))
        {
            throw new ArgumentException("The destination must be exactly the ciphertext's length.", nameof(destination));
        }

        // A fresh context holds no partial block, so the update writes whole blocks only and the final block fits
        // in what is left of the destination.
        if (RunAesCbc(encrypt: true, key, iv, plaintext, destination) != destination.Length)
        {
            throw new CryptographicException("AES-256-CBC encryption failed.");
        }
    }

    /// <summary>
    /// Decrypts AES-256-CBC with PKCS#7 padding into <paramref name="scratch"/> (at least the ciphertext's length
    /// plus one block, as OpenSSL asks of a decrypting update); returns the plaintext length, or -1 when the padding
    /// is wrong. The caller wipes <paramref name="scratch"/>.
    /// </summary>
    internal static int AesCbcDecrypt(ReadOnlySpan<byte> key, ReadOnlySpan<byte> iv, ReadOnlySpan<byte> ciphertext, Span<byte> scratch)
    {
        if (scratch.Length < ciphertext.Length + 16)
        {
            throw new ArgumentException("The scratch buffer must hold the ciphertext and one more block.", nameof(scratch));
        }

        return RunAesCbc(encrypt: false, key, iv, ciphertext, scratch);
    }

    /// <summary>
    /// One AES-256-CBC pass on this thread's context, reset afterwards: the output's length, or -1 when the final
    /// block fails (wrong padding when decrypting).
    /// </summary>
    private static int RunAesCbc(bool encrypt, ReadOnlySpan<byte> key, ReadOnlySpan<byte> iv, ReadOnlySpan<byte> input, Span<byte> output)
    {
        var api = Api();
        if (key.Length != 32 || iv.Length != 16)
        {
            throw new ArgumentException("AES-256-CBC needs a 32-byte key and a 16-byte IV.");
        }

        var init = encrypt ? api.EncryptInit : api.DecryptInit;
        var update = encrypt ? api.EncryptUpdate : api.DecryptUpdate;
        var final = encrypt ? api.EncryptFinal : api.DecryptFinal;
        IntPtr ctx = Contexts().Cipher;
        try
        {
            fixed (byte* k = key, v = iv, i = input, o = output)
            {
                int updated = 0, finished = 0;
                if (init(ctx, api.Aes256Cbc, k, v, null) != 1 || update(ctx, o, &updated, i, input.Length) != 1)
                {
                    api.ClearErrors();
                    throw new CryptographicException("AES-256-CBC failed.");
                }

                if (final(ctx, o + updated, &finished) != 1)
                {
                    // Bad padding: OpenSSL queued an error; leave nothing behind for the next caller on this thread.
                    api.ClearErrors();
                    return -1;
                }

                return updated + finished;
            }
        }
        finally
        {
            api.CipherReset(ctx);
        }
    }

    /// <summary>HMAC-SHA256 of <paramref name="part1"/> ‖ <paramref name="part2"/> ‖ <paramref name="part3"/> into <paramref name="output"/> (32 bytes).</summary>
    internal static void HmacSha256(ReadOnlySpan<byte> key, ReadOnlySpan<byte> part1, ReadOnlySpan<byte> part2, ReadOnlySpan<byte> part3, Span<byte> output)
    {
        var api = Api();
        if (output.Length < 32)
        {
            throw new ArgumentException("The output must hold 32 bytes.", nameof(output));
        }

        ThreadContexts contexts = Contexts();
        IntPtr ctx = contexts.Mac;
        try
        {
            fixed (byte* k = key, a = part1, b = part2, c = part3, o = output)
            {
                // A key of length 0 needs a non-null pointer: OpenSSL reads a null key as "keep the previous key".
                byte* keyPointer = key.IsEmpty ? contexts.ZeroKey : k;
                nuint written = 0;
                if (api.MacInit(ctx, keyPointer, (nuint)key.Length, null) != 1
                    || api.MacUpdate(ctx, a, (nuint)part1.Length) != 1
                    || api.MacUpdate(ctx, b, (nuint)part2.Length) != 1
                    || api.MacUpdate(ctx, c, (nuint)part3.Length) != 1
                    || api.MacFinal(ctx, o, &written, 32) != 1
                    || written != 32)
                {
                    api.ClearErrors();
                    throw new CryptographicException("HMAC-SHA256 failed.");
                }
            }
        }
        finally
        {
            // The context holds the key's inner and outer pads until it is keyed again.
            if (api.MacInit(ctx, contexts.ZeroKey, 32, null) != 1)
            {
                api.ClearErrors();
            }
        }
    }

    private static Libcrypto Api() => s_api ?? throw new InvalidOperationException("OpenSSL is not available for direct calls: " + UnavailableReason);

    private static ThreadContexts Contexts() => t_contexts ??= new ThreadContexts(Api());

    private static Libcrypto? Load()
    {
        if (Environment.GetEnvironmentVariable(DisableVariable) == "0")
        {
            UnavailableReason = $"{DisableVariable}=0";
            return null;
        }

        if (!OperatingSystem.IsLinux())
        {
            UnavailableReason = "not Linux (.NET does not use OpenSSL here)";
            return null;
        }

        if (!NativeLibrary.TryLoad("libcrypto.so.3", out IntPtr library))
        {
            UnavailableReason = "libcrypto.so.3 not found";
            return null;
        }

        try
        {
            return new Libcrypto(library);
        }
        catch (Exception e) when (e is EntryPointNotFoundException or InvalidOperationException)
        {
            UnavailableReason = e.Message;
            return null;
        }
    }

    /// <summary>The libcrypto functions, and the two algorithms fetched once for the process.</summary>
    private sealed class Libcrypto
    {
        public readonly delegate* unmanaged<IntPtr> CipherCtxNew;
        public readonly delegate* unmanaged<IntPtr, int> CipherCtxReset;
        public readonly delegate* unmanaged<IntPtr, void> CipherCtxFree;
        public readonly delegate* unmanaged<IntPtr, IntPtr, byte*, byte*, void*, int> EncryptInit;
        public readonly delegate* unmanaged<IntPtr, byte*, int*, byte*, int, int> EncryptUpdate;
        public readonly delegate* unmanaged<IntPtr, byte*, int*, int> EncryptFinal;
        public readonly delegate* unmanaged<IntPtr, IntPtr, byte*, byte*, void*, int> DecryptInit;
        public readonly delegate* unmanaged<IntPtr, byte*, int*, byte*, int, int> DecryptUpdate;
        public readonly delegate* unmanaged<IntPtr, byte*, int*, int> DecryptFinal;
        public readonly delegate* unmanaged<IntPtr, IntPtr> MacCtxNew;
        public readonly delegate* unmanaged<IntPtr, void> MacCtxFree;
        public readonly delegate* unmanaged<IntPtr, Param*, int> MacCtxSetParams;
        public readonly delegate* unmanaged<IntPtr, byte*, nuint, Param*, int> MacInit;
        public readonly delegate* unmanaged<IntPtr, byte*, nuint, int> MacUpdate;
        public readonly delegate* unmanaged<IntPtr, byte*, nuint*, nuint, int> MacFinal;
        private readonly delegate* unmanaged<void> _errClearError;

        /// <summary>AES-256-CBC and HMAC, fetched from the default provider once; never freed (they live as long as the process).</summary>
        public readonly IntPtr Aes256Cbc;
        public readonly IntPtr Hmac;

        public Libcrypto(IntPtr library)
        {
            IntPtr Export(string name) => NativeLibrary.GetExport(library, name);
            var cipherFetch = (delegate* unmanaged<IntPtr, byte*, byte*, IntPtr>)Export("EVP_CIPHER_fetch");
            CipherCtxNew = (delegate* unmanaged<IntPtr>)Export("EVP_CIPHER_CTX_new");
            CipherCtxReset = (delegate* unmanaged<IntPtr, int>)Export("EVP_CIPHER_CTX_reset");
            CipherCtxFree = (delegate* unmanaged<IntPtr, void>)Export("EVP_CIPHER_CTX_free");
            EncryptInit = (delegate* unmanaged<IntPtr, IntPtr, byte*, byte*, void*, int>)Export("EVP_EncryptInit_ex2");
            EncryptUpdate = (delegate* unmanaged<IntPtr, byte*, int*, byte*, int, int>)Export("EVP_EncryptUpdate");
            EncryptFinal = (delegate* unmanaged<IntPtr, byte*, int*, int>)Export("EVP_EncryptFinal_ex");
            DecryptInit = (delegate* unmanaged<IntPtr, IntPtr, byte*, byte*, void*, int>)Export("EVP_DecryptInit_ex2");
            DecryptUpdate = (delegate* unmanaged<IntPtr, byte*, int*, byte*, int, int>)Export("EVP_DecryptUpdate");
            DecryptFinal = (delegate* unmanaged<IntPtr, byte*, int*, int>)Export("EVP_DecryptFinal_ex");
            var macFetch = (delegate* unmanaged<IntPtr, byte*, byte*, IntPtr>)Export("EVP_MAC_fetch");
            MacCtxNew = (delegate* unmanaged<IntPtr, IntPtr>)Export("EVP_MAC_CTX_new");
            MacCtxFree = (delegate* unmanaged<IntPtr, void>)Export("EVP_MAC_CTX_free");
            MacCtxSetParams = (delegate* unmanaged<IntPtr, Param*, int>)Export("EVP_MAC_CTX_set_params");
            MacInit = (delegate* unmanaged<IntPtr, byte*, nuint, Param*, int>)Export("EVP_MAC_init");
            MacUpdate = (delegate* unmanaged<IntPtr, byte*, nuint, int>)Export("EVP_MAC_update");
            MacFinal = (delegate* unmanaged<IntPtr, byte*, nuint*, nuint, int>)Export("EVP_MAC_final");
            _errClearError = (delegate* unmanaged<void>)Export("ERR_clear_error");

            fixed (byte* aes = "AES-256-CBC\0"u8, hmac = "HMAC\0"u8)
            {
                Aes256Cbc = cipherFetch(IntPtr.Zero, aes, null);
                Hmac = macFetch(IntPtr.Zero, hmac, null);
            }

            if (Aes256Cbc == IntPtr.Zero || Hmac == IntPtr.Zero)
            {
                ClearErrors();
                throw new InvalidOperationException("OpenSSL's default provider lacks AES-256-CBC or HMAC.");
            }

            // One context of each kind, made and checked here so that a broken library is found at load time.
            var probe = new ThreadContexts(this);
            probe.Dispose();
        }

        public void CipherReset(IntPtr ctx)
        {
            if (CipherCtxReset(ctx) != 1)
            {
                ClearErrors();
            }
        }

        public void ClearErrors() => _errClearError();
    }

    /// <summary>An OSSL_PARAM (openssl/core.h): key, data type, data, data size, return size.</summary>
    [StructLayout(LayoutKind.Sequential)]
    private struct Param
    {
        public byte* Key;
        public uint DataType;
        public void* Data;
        public nuint DataSize;
        public nuint ReturnSize;
    }

    /// <summary>One thread's cipher and MAC contexts (the MAC one set to SHA-256); freed when the thread is gone.</summary>
    private sealed class ThreadContexts : IDisposable
    {
        private readonly Libcrypto _api;
        public IntPtr Cipher;
        public IntPtr Mac;

        /// <summary>32 zero bytes in native memory: the wipe key, and the pointer for an empty key.</summary>
        public byte* ZeroKey;

        public ThreadContexts(Libcrypto api)
        {
            _api = api;
            ZeroKey = (byte*)NativeMemory.AllocZeroed(32);
            Cipher = api.CipherCtxNew();
            Mac = api.MacCtxNew(api.Hmac);
            bool digestSet = false;
            if (Mac != IntPtr.Zero)
            {
                fixed (byte* digestKey = "digest\0"u8, sha256 = "SHA256\0"u8)
                {
                    Param* parameters = stackalloc Param[2];
                    parameters[0] = new Param { Key = digestKey, DataType = ParamUtf8String, Data = sha256, DataSize = 6, ReturnSize = nuint.MaxValue };
                    parameters[1] = default;
                    digestSet = api.MacCtxSetParams(Mac, parameters) == 1;
                }
            }

            if (Cipher == IntPtr.Zero || !digestSet)
            {
                api.ClearErrors();
                Dispose();
                throw new InvalidOperationException("OpenSSL could not make a cipher or an HMAC-SHA256 context.");
            }
        }

        ~ThreadContexts() => Free();

        public void Dispose()
        {
            Free();
            GC.SuppressFinalize(this);
        }

        private void Free()
        {
            if (Cipher != IntPtr.Zero)
            {
                _api.CipherCtxFree(Cipher);
                Cipher = IntPtr.Zero;
            }

            if (Mac != IntPtr.Zero)
            {
                _api.MacCtxFree(Mac);
                Mac = IntPtr.Zero;
            }

            NativeMemory.Free(ZeroKey);
            ZeroKey = null;
        }
    }
}
