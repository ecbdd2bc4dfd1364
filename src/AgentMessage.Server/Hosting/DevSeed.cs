using AgentMessage.Core.Access;
using AgentMessage.Core.Compliance;
using AgentMessage.Core.Organizations;
using AgentMessage.Core.Refusals;
using AgentMessage.Server.Edge.Carrier.Simulator;
using Microsoft.Extensions.Options;

namespace AgentMessage.Server.Hosting;

/// <summary>
/// Creates, idempotently, the organization the spec's examples talk about: it owns +15551112222,
/// +15554443333 has opted in, and +15550100000 has opted in but was looked up as a landline, so
/// every documented outcome can be tried with curl at once. The carrier simulator's table numbers
/// (undelivered, failed, no receipt, expired) have opted in too.
/// </summary>
public sealed class DevSeed(
    IOptions<DevOptions> options,
    IOrganizationStore organizations,
    IApiKeyStore keys,
    INumberRegistry numbers,
    IConsentRegistry consents,
    ILineTypeRegistry lineTypes,
    TimeProvider time,
    ILogger<DevSeed> logger) : IHostedService
{
    public const string OrganizationId = "org_development";
    public const string SenderNumber = "+15551112222";
    public const string ConsentingRecipient = "+15554443333";
    public const string LandlineRecipient = "+15550100000";

    private readonly CancellationTokenSource stopping = new();
    private Task retrying = Task.CompletedTask;

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        if (!options.Value.Seed)
        {
            return;
        }

        try
        {
            await SeedAsync(cancellationToken);
        }
        catch (StoreUnavailableException)
        {
            // Shared state is down at start-up: serve (503 until it returns) and seed when it can.
            logger.LogWarning("Development seed postponed: state store unavailable");
            retrying = RetryAsync(stopping.Token);
        }
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        await stopping.CancelAsync();
        await retrying.ContinueWith(_ => { }, TaskScheduler.Default);
    }

    private async Task RetryAsync(CancellationToken cancellationToken)
    {
        while (!cancellationToken.IsCancellationRequested)
        {
            await Task.Delay(TimeSpan.FromSeconds(2), time, cancellationToken);
            try
            {
                await SeedAsync(cancellationToken);
                return;
            }
            catch (StoreUnavailableException)
            {
            }
        }
    }

    private async Task SeedAsync(CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        await organizations.PutAsync(new Organization(OrganizationId, "Development"), cancellationToken);
        if (!await numbers.AddAsync(OrganizationId, SenderNumber, cancellationToken))
        {
            logger.LogWarning("Development sender {Sender} belongs to another organization; the development organization cannot send from it", SenderNumber);
        }

        await consents.RecordAsync(OrganizationId, new ConsentRecord(ConsentingRecipient, "development seed", now), cancellationToken);
        await consents.RecordAsync(OrganizationId, new ConsentRecord(LandlineRecipient, "development seed", now), cancellationToken);
        foreach (var simulated in CarrierSimulator.TableNumbers)
        {
            await consents.RecordAsync(OrganizationId, new ConsentRecord(simulated, "development seed", now), cancellationToken);
        }
        await lineTypes.RecordAsync(OrganizationId, new LineTypeLookup(LandlineRecipient, LineType.Landline, now), cancellationToken);

        var key = options.Value.ApiKey;
        if (key is not null && !ApiKeyFormat.IsWellFormed(key))
        {
            throw new OptionsValidationException(DevOptions.Section, typeof(DevOptions), [$"{DevOptions.Section}:ApiKey must be {ApiKeyFormat.Prefix} followed by letters and digits"]);
        }

        key ??= ApiKeyFormat.Generate();
        await keys.PutAsync(
            new ApiKeyRecord("key_development", OrganizationId, ApiKeyFormat.Hash(key), ApiKeyFormat.DisplayPrefix(key), [.. Scopes.All], now),
            cancellationToken);

        // The one secret ever shown: the development key, so that the documented curl works.
        // It goes to the console, not to the log sinks.
        Console.WriteLine($"AgentMessage development organization {OrganizationId}: API key {key}");
        logger.LogInformation("Development organization {OrganizationId} seeded with sender {Sender}", OrganizationId, SenderNumber);
    }

}
