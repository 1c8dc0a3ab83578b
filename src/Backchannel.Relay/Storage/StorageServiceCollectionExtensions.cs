using Backchannel.Relay.Storage.InMemory;
using Backchannel.Relay.Storage.Sqlite;
using Microsoft.Extensions.DependencyInjection;

namespace Backchannel.Relay.Storage;

/// <summary>Registers one implementation of every store for the chosen backend (a PostgreSQL one adds a case here).</summary>
internal static class StorageServiceCollectionExtensions
{
    public static IServiceCollection AddRelayStorage(this IServiceCollection services, RelayOptions options)
    {
        switch (options.Storage)
        {
            case RelayStorageKind.Sqlite:
                string directory = Path.GetFullPath(options.DataDirectory);
                services.AddSingleton(_ => new SqliteDatabase(directory));
                services.AddSingleton<IAccountStore, SqliteAccountStore>();
                services.AddSingleton<IPreKeyStore, SqlitePreKeyStore>();
                services.AddSingleton<IMessageStore, SqliteMessageStore>();
                services.AddSingleton<IStorageHealth, SqliteStorageHealth>();
                break;
            case RelayStorageKind.InMemory:
                services.AddSingleton<IAccountStore, InMemoryAccountStore>();
                services.AddSingleton<IPreKeyStore, InMemoryPreKeyStore>();
                services.AddSingleton<IMessageStore, InMemoryMessageStore>();
                services.AddSingleton<IStorageHealth, InMemoryStorageHealth>();
                break;
            default:
                throw new ArgumentOutOfRangeException(nameof(options), options.Storage, "Unknown storage backend.");
        }

        return services;
    }
}
