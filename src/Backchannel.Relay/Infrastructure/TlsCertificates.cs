using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace Backchannel.Relay.Infrastructure;

/// <summary>Loads the relay's TLS certificate (<see cref="RelayOptions.CertificatePath"/>) and computes the pin clients check.</summary>
internal static class TlsCertificates
{
    /// <summary>The certificate with its private key; throws <see cref="CryptographicException"/> when it cannot be read.</summary>
    public static X509Certificate2 Load(RelayOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        string path = options.CertificatePath ?? throw new InvalidOperationException("No certificate configured.");
        X509Certificate2 certificate;
        if (options.CertificateKeyPath is not null || IsPem(path))
        {
            certificate = options.CertificatePassword is null
                ? X509Certificate2.CreateFromPemFile(path, options.CertificateKeyPath)
                : X509Certificate2.CreateFromEncryptedPemFile(path, options.CertificatePassword, options.CertificateKeyPath);
        }
        else
        {
            certificate = X509CertificateLoader.LoadPkcs12FromFile(path, options.CertificatePassword, X509KeyStorageFlags.EphemeralKeySet);
        }

        if (!certificate.HasPrivateKey)
        {
            certificate.Dispose();
            throw new CryptographicException($"{path} has no private key.");
        }

        return certificate;
    }

    /// <summary>The base64 SHA-256 of the certificate's SubjectPublicKeyInfo (the HPKP-style pin, stable across renewals with the same key).</summary>
    public static string Pin(X509Certificate2 certificate)
    {
        ArgumentNullException.ThrowIfNull(certificate);
        return Convert.ToBase64String(SHA256.HashData(certificate.PublicKey.ExportSubjectPublicKeyInfo()));
    }

    private static bool IsPem(string path)
    {
        Span<byte> start = stackalloc byte[11];
        using FileStream stream = File.OpenRead(path);
        int read = stream.ReadAtLeast(start, start.Length, throwOnEndOfStream: false);
        return start[..read].SequenceEqual("-----BEGIN "u8);
    }
}
