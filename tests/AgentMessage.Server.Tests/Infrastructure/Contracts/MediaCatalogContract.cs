using AgentMessage.Core.Media;

namespace AgentMessage.Server.Tests.Infrastructure.Contracts;

/// <summary><see cref="IMediaCatalog"/>: media records per organization.</summary>
public abstract class MediaCatalogContract
{
    /// <summary>The stores under test, empty.</summary>
    protected abstract Task<StoreHarness> CreateStoresAsync(IDictionary<string, string?>? settings = null);

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task A_media_record_reads_back_as_put_within_its_organization()
    {
        await using var stores = await CreateStoresAsync();
        var catalog = stores.Get<IMediaCatalog>();
        var now = stores.Time.GetUtcNow();
        var media = new MediaRecord(Guid.NewGuid().ToString("D"), ContractData.Organization(), "image/png", 2048, now, now.AddMinutes(15), now.AddDays(7));

        await catalog.PutAsync(media, Ct);

        Assert.Equal(media, await catalog.GetAsync(media.OrganizationId, media.Id, Ct));
        Assert.Null(await catalog.GetAsync(ContractData.Organization(), media.Id, Ct));
        Assert.Null(await catalog.GetAsync(media.OrganizationId, Guid.NewGuid().ToString("D"), Ct));
    }

    [Fact]
    public async Task Putting_a_record_again_replaces_it()
    {
        await using var stores = await CreateStoresAsync();
        var catalog = stores.Get<IMediaCatalog>();
        var now = stores.Time.GetUtcNow();
        var media = new MediaRecord(Guid.NewGuid().ToString("D"), ContractData.Organization(), "image/png", 0, now, now.AddMinutes(15), now.AddDays(7));
        await catalog.PutAsync(media, Ct);

        var uploaded = media with { ByteSize = 4096, MimeType = "image/jpeg" };
        await catalog.PutAsync(uploaded, Ct);

        Assert.Equal(uploaded, await catalog.GetAsync(media.OrganizationId, media.Id, Ct));
    }
}
