using System.Net;
using System.Text.Json.Nodes;

namespace AgentMessage.Server.Tests.Infrastructure.LocalMedia;

/// <summary>The flows on the embedded default's local store, which also guarantees single use.</summary>
public sealed class LocalStoreMediaTests : MediaFlowTests
{
    protected override IDictionary<string, string> StoreSettings { get; } = new Dictionary<string, string>
    {
        ["AgentMessage:Media:Store"] = "local",
        ["AgentMessage:Media:Local:Directory"] = Path.Combine(Path.GetTempPath(), "agentmessage-media-tests"),
    };

    [Fact]
    public async Task Upload_SecondPutToTheSameUrl_IsRefused()
    {
        await using var server = await StartAsync();
        var (_, slot) = await server.Rest.CallAsync(Slot("image/png", 10));

        var first = await UploadAsync(slot, Png(10));
        var second = await UploadAsync(slot, Png(10));
        var body = JsonNode.Parse(await second.Content.ReadAsStringAsync(Ct))!;

        Assert.Equal(HttpStatusCode.OK, first.StatusCode);
        Assert.Equal(HttpStatusCode.Conflict, second.StatusCode);
        Assert.Equal("MEDIA_ALREADY_UPLOADED", (string)body["error"]!["code"]!);
    }
}
