using System.Diagnostics;
using System.IO.Compression;
using System.Xml.Linq;

namespace AgentMessage.Client.Tests.Packaging;

/// <summary>The package as NuGet would ship it: packed from the build output and opened as a zip.</summary>
public sealed class PackageContentsTests
{
    [Fact]
    public async Task Pack_ClientProject_ContainsTheReadmeTheXmlDocsAndDependsOnTheContractNotTheServer()
    {
        var output = Directory.CreateTempSubdirectory("agentmessage-pack-");
        try
        {
            var configuration = new DirectoryInfo(AppContext.BaseDirectory).Parent!.Name;
            await DotnetAsync("pack", Path.Combine(Repository.Root, "src", "AgentMessage.Client", "AgentMessage.Client.csproj"), "--no-build", "-c", configuration, "-o", output.FullName);
            var package = Assert.Single(output.GetFiles("AgentMessage.Client.*.nupkg"));

            using var zip = ZipFile.OpenRead(package.FullName);
            var entries = zip.Entries.Select(e => e.FullName).ToHashSet();
            Assert.Contains("README.md", entries);
            Assert.Contains("lib/net10.0/AgentMessage.Client.dll", entries);
            Assert.Contains("lib/net10.0/AgentMessage.Client.xml", entries);
            using var docs = new StreamReader(zip.GetEntry("lib/net10.0/AgentMessage.Client.xml")!.Open());
            Assert.Contains("M:AgentMessage.Client.AgentMessageClient.SendMessageAsync", await docs.ReadToEndAsync(TestContext.Current.CancellationToken), StringComparison.Ordinal);

            var nuspecEntry = zip.Entries.Single(e => e.FullName.EndsWith(".nuspec", StringComparison.Ordinal));
            XDocument nuspec;
            using (var stream = nuspecEntry.Open())
            {
                nuspec = await XDocument.LoadAsync(stream, LoadOptions.None, TestContext.Current.CancellationToken);
            }

            var metadata = nuspec.Root!.Elements().Single(e => e.Name.LocalName == "metadata");
            Assert.Equal("README.md", metadata.Elements().Single(e => e.Name.LocalName == "readme").Value);
            Assert.False(string.IsNullOrWhiteSpace(metadata.Elements().Single(e => e.Name.LocalName == "description").Value));
            var dependencies = metadata.Descendants().Where(e => e.Name.LocalName == "dependency").Select(e => (string)e.Attribute("id")!).ToList();
            Assert.Contains("AgentMessage.Contracts", dependencies);
            Assert.Contains("Grpc.Net.Client", dependencies);
            Assert.DoesNotContain("Grpc.AspNetCore", dependencies);
            Assert.DoesNotContain(metadata.Descendants(), e => e.Name.LocalName == "frameworkReference");
        }
        finally
        {
            output.Delete(recursive: true);
        }
    }

    private static async Task DotnetAsync(params string[] arguments)
    {
        var start = new ProcessStartInfo("dotnet") { WorkingDirectory = Repository.Root, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        start.Environment["DOTNET_NOLOGO"] = "1";
        start.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        using var process = Process.Start(start)!;
        var ct = TestContext.Current.CancellationToken;
        var stdout = process.StandardOutput.ReadToEndAsync(ct);
        var stderr = process.StandardError.ReadToEndAsync(ct);
        await process.WaitForExitAsync(ct);
        Assert.True(process.ExitCode == 0, $"dotnet {string.Join(' ', arguments)} exited with {process.ExitCode}:\n{await stdout}\n{await stderr}");
    }
}
